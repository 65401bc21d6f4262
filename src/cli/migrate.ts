import { stat } from 'node:fs/promises';
import { pino } from 'pino';
import { type Config, loadConfig } from '../config/index.js';
import { PlexusError } from '../core/errors.js';
import { createLogger, type Logger } from '../core/logger.js';
import {
  ExportWriter,
  exportStore,
  importStore,
  openInput,
  openSource,
  openTarget,
  Progress,
  type StoreLocation,
} from '../store/transfer/index.js';
import { CliError } from './errors.js';
import { flagOverrides } from './start.js';

export interface StoreOptions {
  config?: string;
  dataDir?: string;
}

/** Progress and notes go to stderr: stdout may be the export itself (`--out -`). */
const say = (line: string) => process.stderr.write(`${line}\n`);

function setup(opts: StoreOptions): { at: StoreLocation; log: Logger; config: Config } {
  const config = loadConfig({ file: opts.config, overrides: flagOverrides(opts) });
  const log = createLogger({
    level: 'warn',
    format: 'json',
    destination: pino.destination({ fd: 2, sync: true }),
  });
  return {
    config,
    log,
    at: { kind: config.store.kind, dataDir: config.dataDir, url: config.store.url, tls: config.store.tls },
  };
}

/** A PlexusError becomes one `Error: … (CODE)` line and exit code 1. */
function cliFailure(err: unknown): unknown {
  if (err instanceof PlexusError) return new CliError([`Error: ${err.message} (${err.code})`]);
  return err;
}

export async function runExport(opts: StoreOptions & { out: string }): Promise<void> {
  try {
    const { at, log } = setup(opts);
    const writer = new ExportWriter(opts.out);
    await writer.ready().catch(async (err: unknown) => {
      await writer.abort();
      throw new CliError([`Error: cannot write ${opts.out}: ${(err as Error).message}`]);
    });
    const source = await openSource(at, log).catch(async (err: unknown) => {
      await writer.abort();
      throw err;
    });
    const progress = new Progress(say);
    try {
      say(`Exporting ${source.description} (schema ${JSON.stringify(source.schema)})`);
      for (const n of source.notes) say(`Note: ${n}`);
      await exportStore(source, writer, progress);
      await writer.commit();
    } catch (err) {
      await writer.abort();
      throw err;
    } finally {
      await source.close();
    }
    const size = opts.out === '-' ? '' : `, ${((await stat(opts.out)).size / 1e6).toFixed(1)} MB`;
    say(progress.summary('Exported', `to ${opts.out === '-' ? 'stdout' : opts.out}${size}`));
  } catch (err) {
    throw cliFailure(err);
  }
}

export async function runImport(opts: StoreOptions & { in: string }): Promise<void> {
  try {
    const { at, log } = setup(opts);
    if (opts.in !== '-') await stat(opts.in); // ENOENT before anything is opened
    const progress = new Progress(say);
    let where = '';
    const summary = await importStore(
      openInput(opts.in),
      async () => {
        const target = await openTarget(at, log);
        where = target.description;
        say(`Importing ${opts.in === '-' ? 'stdin' : opts.in} into ${where}`);
        return target;
      },
      progress,
    );
    const h = summary.header;
    say(`  (exported by Plexus ${h.plexus} from ${JSON.stringify(h.schema)} on ${h.createdAt})`);
    if (summary.replaced.length > 0)
      say(`  replaced what the target's first start had written (${summary.replaced.join(', ')})`);
    say(progress.summary('Imported', `into ${where}`));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new CliError([`Error: cannot read ${opts.in}: no such file`]);
    throw cliFailure(err);
  }
}
