import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { type ActionService, actionRoutes, createActionService, createMailer } from './actions/index.js';
import { type AlarmService, alarmRoutes, createAlarmService } from './alarms/index.js';
import { infoRoutes } from './api/info.js';
import { createMetrics } from './api/metrics.js';
import { overviewRoutes } from './api/overview.js';
import { createApiServer } from './api/server.js';
import { createLiveStream, STREAM_PATH } from './api/stream.js';
import { WEB_ROOT } from './api/web.js';
import {
  type AuthService,
  authRoutes,
  createAuthService,
  createMqttUserService,
  type MqttUserService,
} from './auth/index.js';
import { type BootstrapResult, bootstrap } from './bootstrap.js';
import { type CommandService, commandRoutes, createCommandService } from './commands/index.js';
import { type Config, ConfigErrors } from './config/index.js';
import { createMemoryBus } from './core/bus-memory.js';
import { type Clock, systemClock } from './core/clock.js';
import { PlexusError } from './core/errors.js';
import { listenError } from './core/listen.js';
import { createLogger, type Logger } from './core/logger.js';
import { VERSION } from './core/version.js';
import { mqttAuthPort } from './mqtt-auth-port.js';
import {
  createDeviceAuth,
  createRegistryService,
  type RegistryService,
  registryRoutes,
} from './registry/index.js';
import {
  createDryRun,
  createRuleEngine,
  createRuleService,
  type DryRun,
  type RuleService,
  ruleRoutes,
} from './rules/index.js';
import { type AuditService, auditRoutes, createAuditService } from './security/index.js';
import { type OpenedStores, openStores } from './store/index.js';
import { createTelemetryService, type TelemetryService, telemetryRoutes } from './telemetry/index.js';
import { deviceHttpRoutes } from './transports/http/index.js';
import { createMqttTransport, type MqttTransport } from './transports/mqtt/index.js';
import { createTwinService, type TwinService, twinRoutes } from './twin/index.js';

interface Services {
  readonly registry: RegistryService;
  readonly auth: AuthService;
  readonly mqttUsers: MqttUserService;
  readonly audit: AuditService;
  readonly telemetry: TelemetryService;
  readonly twins: TwinService;
  readonly commands: CommandService;
  readonly alarms: AlarmService;
  readonly rules: RuleService;
  readonly dryRun: DryRun;
  readonly actions: ActionService;
}

export interface AppOptions {
  readonly log?: Logger;
  readonly clock?: Clock;
}

export interface Ports {
  readonly http: number;
  readonly mqtt: number;
  readonly mqtts?: number;
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
  let stores: OpenedStores | undefined;
  let api: Awaited<ReturnType<typeof createApiServer>> | undefined;
  let bootstrapResult: BootstrapResult | undefined;
  let pruneTimer: NodeJS.Timeout | undefined;
  let stream: ReturnType<typeof createLiveStream> | undefined;
  let engine: ReturnType<typeof createRuleEngine> | undefined;
  const transports: MqttTransport[] = [];
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
    const opened = await openStores(config, dataDir, log);
    stores = opened;
    // Devices and MQTT users share the CONNECT user name space of a tenant: each refuses the other's names.
    const registry = createRegistryService({
      store: opened.registry,
      bus,
      clock,
      idTaken: (tenant, id) => mqttUsers.exists(tenant, id),
    });
    const mqttUsers = createMqttUserService({
      store: opened.mqttUsers,
      bus,
      clock,
      deviceExists: async (tenant, id) => (await registry.findDevice(tenant, id)) !== undefined,
    });
    const audit = createAuditService({ store: opened.audit, bus, clock, log });
    const twins = createTwinService({
      store: opened.twins,
      registry,
      bus,
      clock,
      log,
      maxBytes: config.twin.maxBytes,
    });
    const commands = createCommandService({
      store: opened.commands,
      registry,
      bus,
      clock,
      log,
      metrics: metrics.registry,
      audit: (entry) => audit.record(entry),
    });
    const rules = createRuleService({
      store: opened.rules,
      bus,
      clock,
      log,
      emailConfigured: config.actions.email.host !== '',
      denyPrivateNetworks: config.actions.webhook.denyPrivateNetworks,
    });
    built = {
      registry,
      auth: createAuthService({ store: opened.auth, bus, clock, config: config.auth }),
      mqttUsers,
      audit,
      telemetry: createTelemetryService({
        store: opened.telemetry,
        writer: opened.telemetryWriter,
        registry,
        bus,
        clock,
        log,
        metrics: metrics.registry,
        maxBacklog: config.telemetry.maxBacklog,
      }),
      twins,
      commands,
      rules,
      dryRun: createDryRun({
        registry,
        telemetry: opened.telemetry,
        twin: (tenant, device) => twins.get(tenant, device),
        clock,
      }),
      actions: createActionService({
        outbox: opened.outbox,
        rule: (tenant, name) => rules.cached(tenant, name),
        ports: {
          sendCommand: (tenant, device, input, actor) => commands.send(tenant, device, input, actor),
          patchDesired: (tenant, device, patch) => twins.patchDesired(tenant, device, patch),
          publish: (tenant, topic, payload, qos, retain) =>
            bus.publish('downlink', {
              kind: 'publish',
              tenant,
              device: '',
              ts: Date.now(),
              data: { topic, payload, qos, retain },
            }),
          httpTimeoutMs: 10_000,
          denyPrivateNetworks: config.actions.webhook.denyPrivateNetworks,
          ...(config.actions.email.host === '' ? {} : { sendMail: createMailer(config.actions.email) }),
        },
        bus,
        clock,
        log,
        metrics: metrics.registry,
        maxAttempts: config.actions.maxAttempts,
      }),
      alarms: createAlarmService({
        store: opened.alarms,
        registry,
        bus,
        clock,
        log,
        metrics: metrics.registry,
      }),
    };
    bootstrapResult = await bootstrap(built, config.admin);
    return bootstrapResult;
  }

  async function listen(): Promise<Ports> {
    const s = services();
    const store = stores;
    if (config.mqtt.allowAnonymous) await anonymousTenantExists(s.registry, config.mqtt.anonymous.tenant);
    const mqtt = createMqttTransport(config.mqtt, {
      tcp: { host: config.mqtt.host, port: config.mqtt.port },
      tls:
        config.mqtts.cert && config.mqtts.key
          ? {
              ...config.mqtts,
              cert: readPem(config.mqtts.cert, 'mqtts.cert'),
              key: readPem(config.mqtts.key, 'mqtts.key'),
            }
          : undefined,
      wsPath: '/mqtt',
    });
    transports.push(mqtt);
    const httpTls =
      config.http.tls.cert && config.http.tls.key
        ? {
            cert: readPem(config.http.tls.cert, 'http.tls.cert'),
            key: readPem(config.http.tls.key, 'http.tls.key'),
          }
        : undefined;
    api = await createApiServer({
      config: { ...config.http, tls: httpTls },
      metricsEnabled: config.metrics.enabled,
      log,
      version: VERSION,
      metrics,
      ...s,
      web: config.dashboard.enabled ? { root: WEB_ROOT, mapTiles: config.dashboard.mapTiles } : undefined,
      ready: async () => {
        if (stopping !== undefined) throw new Error('shutting down');
        await store?.ping();
      },
    });
    const deviceAuth = createDeviceAuth({ registry: s.registry, bus, clock });
    await api.register(
      async (v1) => {
        await v1.register(infoRoutes, {
          version: VERSION,
          mqtt: () => mqtt.ports(),
          map: { tiles: config.dashboard.mapTiles, attribution: config.dashboard.mapAttribution },
        });
        await v1.register(authRoutes, s);
        await v1.register(registryRoutes, s);
        await v1.register(auditRoutes, s);
        await v1.register(telemetryRoutes, s);
        await v1.register(twinRoutes, s);
        await v1.register(commandRoutes, s);
        await v1.register(alarmRoutes, s);
        await v1.register(ruleRoutes, s);
        await v1.register(actionRoutes, s);
        await v1.register(overviewRoutes, s);
      },
      { prefix: '/api/v1' },
    );
    await api.register(deviceHttpRoutes, {
      prefix: '/device/v1',
      bus,
      maxAuthFailures: config.auth.maxFailures,
      authFailureWindowSeconds: config.auth.failureWindowSeconds,
      async authenticate(tenant, id, secret) {
        const found = await deviceAuth.verify(tenant, id, secret);
        return found && { tenant, id, codec: found.profile.codec, limits: found.profile.limits };
      },
      desired: (tenant, id) => s.twins.desired(tenant, id),
      takeCommands: (tenant, id, limit) => s.commands.takeForDevice(tenant, id, limit),
    });
    stream = createLiveStream({ bus, auth: s.auth, registry: s.registry, log });
    const live = stream;
    // One owner per upgrade path: the live stream here, MQTT over WebSocket in its transport.
    api.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? '').split('?')[0];
      if (path === STREAM_PATH) live.upgrade(req, socket, head);
      else if (path !== '/mqtt') socket.destroy();
    });
    try {
      await api.listen({ host: config.http.host, port: config.http.port });
    } catch (err) {
      throw listenError(err, config.http.port, { setting: 'http.port', env: 'PLEXUS_HTTP_PORT' });
    }
    const address = api.server.address();
    const http = typeof address === 'object' && address ? address.port : config.http.port;
    await mqtt.start({
      auth: mqttAuthPort(deviceAuth, s.auth, s.mqttUsers),
      bus,
      log,
      metrics: metrics.registry,
      http: api.server,
      store: (store as NonNullable<typeof store>).mqtt,
    });
    const mp = mqtt.ports();
    return { http, mqtt: mp?.tcp ?? 0, ...(mp?.tls === undefined ? {} : { mqtts: mp.tls }) };
  }

  return {
    config,
    log,
    init,
    async start() {
      const result = await init();
      const ports = await listen();
      mkdirSync(dataDir, { recursive: true });
      // The pid names the serving process (it differs from the launcher's when `plexus start` relaunched Node).
      // Written whole, then renamed: a script polling for the file never reads it half-written.
      const portsFile = join(dataDir, 'ports.json');
      writeFileSync(`${portsFile}.tmp`, `${JSON.stringify({ ...ports, pid: process.pid })}\n`);
      renameSync(`${portsFile}.tmp`, portsFile);
      const { auth, telemetry, commands } = services();
      telemetry.start();
      commands.start();
      engine = createRuleEngine({
        bus,
        registry: services().registry,
        rules: services().rules,
        states: (stores as NonNullable<typeof stores>).ruleStates,
        clock,
        log,
        metrics: metrics.registry,
        twin: (tenant, device) => services().twins.get(tenant, device),
      });
      services().actions.start();
      await engine.start();
      log.info({ rules: engine.size }, 'rule engine started');
      pruneTimer = setInterval(() => {
        auth.pruneSessions().catch((err: unknown) => log.warn({ err }, 'session pruning failed'));
      }, 3600_000);
      pruneTimer.unref();
      log.info({ ...ports, dataDir, version: VERSION }, 'Plexus started');
      return { ...ports, ...result };
    },
    stop() {
      stopping ??= (async () => {
        if (pruneTimer) clearInterval(pruneTimer);
        // Devices first (they get a clean "server shutting down"), then the API, then storage.
        for (const t of transports) await t.stop();
        stream?.close();
        await api?.close();
        // Commit what devices sent before they were disconnected, then close storage.
        built?.twins.stop();
        await engine?.stop();
        await built?.actions.stop();
        built?.rules.stop();
        built?.commands.stop();
        built?.alarms.stop();
        await built?.alarms.settled();
        await built?.telemetry.stop();
        await bus.close();
        await stores?.close();
        log.info('Plexus stopped');
      })();
      return stopping;
    },
  };
}

/** Anonymous MQTT clients land in an existing tenant: a typo must not start a broker nobody can see. */
async function anonymousTenantExists(registry: RegistryService, tenant: string): Promise<void> {
  try {
    await registry.getTenant(tenant);
  } catch (cause) {
    if (!(cause instanceof PlexusError) || cause.code !== 'REGISTRY_TENANT_NOT_FOUND') throw cause;
    throw new PlexusError(
      ConfigErrors.INVALID,
      `mqtt.anonymous.tenant: tenant "${tenant}" does not exist (create it with \`plexus tenants create\` or choose another)`,
      { cause },
    );
  }
}

function readPem(path: string, setting: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new PlexusError(
      ConfigErrors.FILE_UNREADABLE,
      `${setting}: cannot read ${path}: ${(cause as Error).message}`,
      { cause },
    );
  }
}
