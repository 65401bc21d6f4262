import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { infoRoutes } from './api/info.js';
import { createMetrics } from './api/metrics.js';
import { createApiServer } from './api/server.js';
import { AppErrors } from './app-errors.js';
import { type AuthService, authRoutes, createAuthService } from './auth/index.js';
import { type BootstrapResult, bootstrap } from './bootstrap.js';
import type { Config } from './config/index.js';
import { createMemoryBus } from './core/bus-memory.js';
import { type Clock, systemClock } from './core/clock.js';
import { PlexusError } from './core/errors.js';
import { createLogger, type Logger } from './core/logger.js';
import { VERSION } from './core/version.js';
import { createRegistryService, type RegistryService, registryRoutes } from './registry/index.js';
import { type AuditService, auditRoutes, createAuditService } from './security/index.js';
import { createSqliteStores } from './store/sqlite/index.js';

interface Services {
  readonly registry: RegistryService;
  readonly auth: AuthService;
  readonly audit: AuditService;
}

export interface AppOptions {
  readonly log?: Logger;
  readonly clock?: Clock;
}

export interface Ports {
  readonly http: number;
}

export interface App {
  readonly config: Config;
  readonly log: Logger;
  /** Opens storage, runs migrations, creates the first tenant and admin. Idempotent. */
  init(): Promise<BootstrapResult>;
  /** `init()` then listen; resolves with the bound ports (also written to `<dataDir>/ports.json`). */
  start(): Promise<Ports & BootstrapResult>;
  /** Stops accepting, finishes in-flight requests, flushes and closes storage. */
  stop(): Promise<void>;
}

/**
 * The composition root (STYLE.md §11): config → stores → bus → services →
 * API. Nothing runs at import time; tests build several apps side by side.
 */
export function createApp(config: Config, opts: AppOptions = {}): App {
  const log = opts.log ?? createLogger(config.log);
  const clock = opts.clock ?? systemClock;
  const dataDir = resolve(config.dataDir);
  let stores: ReturnType<typeof createSqliteStores> | undefined;
  let api: Awaited<ReturnType<typeof createApiServer>> | undefined;
  let bootstrapResult: BootstrapResult | undefined;
  let pruneTimer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;
  const bus = createMemoryBus(log);
  const metrics = createMetrics();

  let built: Services | undefined;

  /** Services are built once, after storage opens: each holds state (throttles, bus listeners). */
  function services(): Services {
    if (!built) throw new Error('app not initialised');
    return built;
  }

  async function init(): Promise<BootstrapResult> {
    if (bootstrapResult) return bootstrapResult;
    const opened = createSqliteStores(dataDir);
    stores = opened;
    for (const m of opened.migrations) log.info({ version: m.version, name: m.name }, 'database migrated');
    built = {
      registry: createRegistryService({ store: opened.registry, bus, clock }),
      auth: createAuthService({ store: opened.auth, bus, clock, config: config.auth }),
      audit: createAuditService({ store: opened.audit, bus, clock, log }),
    };
    bootstrapResult = await bootstrap(built, config.admin);
    return bootstrapResult;
  }

  async function listen(): Promise<Ports> {
    const s = services();
    const store = stores;
    api = await createApiServer({
      config: config.http,
      metricsEnabled: config.metrics.enabled,
      log,
      version: VERSION,
      metrics,
      ...s,
      ready: async () => {
        if (stopping !== undefined) throw new Error('shutting down');
        await store?.ping();
      },
    });
    await api.register(
      async (v1) => {
        await v1.register(infoRoutes, { version: VERSION, mqtt: () => undefined });
        await v1.register(authRoutes, s);
        await v1.register(registryRoutes, s);
        await v1.register(auditRoutes, s);
      },
      { prefix: '/api/v1' },
    );
    try {
      await api.listen({ host: config.http.host, port: config.http.port });
    } catch (err) {
      throw listenError(err, config.http.port, 'http.port', 'PLEXUS_HTTP_PORT');
    }
    const address = api.server.address();
    const http = typeof address === 'object' && address ? address.port : config.http.port;
    return { http };
  }

  return {
    config,
    log,
    init,
    async start() {
      const result = await init();
      const ports = await listen();
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(join(dataDir, 'ports.json'), `${JSON.stringify(ports)}\n`);
      const { auth } = services();
      pruneTimer = setInterval(() => {
        auth.pruneSessions().catch((err: unknown) => log.warn({ err }, 'session pruning failed'));
      }, 3600_000);
      pruneTimer.unref();
      log.info({ http: ports.http, dataDir, version: VERSION }, 'Plexus started');
      return { ...ports, ...result };
    },
    stop() {
      stopping ??= (async () => {
        if (pruneTimer) clearInterval(pruneTimer);
        await api?.close();
        await bus.close();
        await stores?.close();
        log.info('Plexus stopped');
      })();
      return stopping;
    },
  };
}

function listenError(err: unknown, port: number, setting: string, env: string): PlexusError {
  const code = (err as { code?: string }).code;
  if (code === 'EADDRINUSE') {
    return new PlexusError(
      AppErrors.PORT_IN_USE,
      `port ${port} is already in use: set ${setting} (or ${env}) to another port, or stop the program holding it (see: ss -ltnp 'sport = :${port}')`,
      { cause: err },
    );
  }
  return new PlexusError(
    AppErrors.LISTEN_FAILED,
    `cannot listen on port ${port}: ${(err as Error).message}`,
    { cause: err },
  );
}
