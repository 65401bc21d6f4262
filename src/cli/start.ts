import { createApp } from '../app.js';
import type { BootstrapResult } from '../bootstrap.js';
import { loadConfig } from '../config/index.js';
import { PlexusError } from '../core/errors.js';
import { gcModeProblem, missingFlags, reexecWith, SINGLE_THREADED_GC, usableCpus } from './runtime-flags.js';

export interface StartOptions {
  config?: string;
  dataDir?: string;
  httpPort?: number;
  logLevel?: string;
}

/** Flags become the highest-precedence layer of the one config. */
export function flagOverrides(opts: StartOptions): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (opts.dataDir !== undefined) o.dataDir = opts.dataDir;
  if (opts.httpPort !== undefined) o.http = { port: opts.httpPort };
  if (opts.logLevel !== undefined) o.log = { level: opts.logLevel };
  return o;
}

/** Prints a start-up failure as one readable block and exits 1. */
export function exitWithError(err: unknown): never {
  const message = err instanceof PlexusError ? err.message : ((err as Error).stack ?? String(err));
  process.stderr.write(`plexus: ${message}\n`);
  process.exit(1);
}

export function adminBanner(result: BootstrapResult): string {
  if (!result.admin) return '';
  if (!result.admin.generated)
    return `First start: created platform admin "${result.admin.username}" with the configured password.\n`;
  return [
    '',
    '  First start: created platform admin',
    `    user:     ${result.admin.username}`,
    `    password: ${result.admin.password}`,
    '  This password is shown only now. Change it with: plexus users set-password admin',
    '',
    '',
  ].join('\n');
}

/** `plexus start`: runs the platform until SIGTERM/SIGINT, then shuts down gracefully. */
export async function runStart(opts: StartOptions): Promise<void> {
  const gcProblem = gcModeProblem(process.env);
  if (gcProblem) {
    process.stderr.write(`plexus: ${gcProblem}\n`);
    process.exit(1);
  }
  const cpus = usableCpus();
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  if (reexecWith(missingFlags({ cpus, nodeMajor, execArgv: process.execArgv, env: process.env }))) return;
  let app: ReturnType<typeof createApp>;
  try {
    app = createApp(loadConfig({ file: opts.config, overrides: flagOverrides(opts) }));
  } catch (err) {
    exitWithError(err);
  }
  // Signals are handled from before start: a SIGTERM that arrives while the
  // listeners open (ports.json may already be written) still stops cleanly.
  const starting = app.start();
  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      process.stderr.write(`plexus: second ${signal}, exiting without waiting\n`);
      process.exit(130);
    }
    app.log.info({ signal }, 'shutting down');
    starting
      .catch(() => undefined)
      .then(() => app.stop())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          app.log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  let result: Awaited<typeof starting>;
  try {
    result = await starting;
  } catch (err) {
    if (signals > 0) return; // shutting down anyway
    await app.stop().catch(() => undefined);
    exitWithError(err);
  }
  if (signals > 0) return;
  if (process.execArgv.includes(SINGLE_THREADED_GC)) {
    app.log.info({ usableCpus: cpus }, `garbage collection runs on the main thread (${SINGLE_THREADED_GC})`);
  }
  const host = app.config.http.host === '0.0.0.0' ? '127.0.0.1' : app.config.http.host;
  process.stdout.write(adminBanner(result));
  process.stdout.write(
    `Plexus is running: http://${host}:${result.http}  (API docs: /api/docs, health: /healthz)\n`,
  );
}
