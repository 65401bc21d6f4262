import type { Registry } from 'prom-client';
import type { Bus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { RegistryService } from '../registry/index.js';
import type { TelemetryStore, TelemetryWriter } from '../store/index.js';
import { Activity } from './activity.js';
import { DeviceProfiles } from './device-profiles.js';
import { createIngest } from './ingest.js';
import { LatestValues } from './latest.js';
import { createTelemetryMetrics } from './metrics.js';
import { createQueries } from './queries.js';
import { RateMeter } from './rate-meter.js';
import { enforceRetention } from './retention.js';

export interface TelemetryDeps {
  readonly store: TelemetryStore;
  readonly writer: TelemetryWriter;
  readonly registry: RegistryService;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Registry;
  /** Uncommitted points above which new data is refused with BUSY (backpressure, bounded memory). */
  readonly maxBacklog?: number;
}

export type TelemetryService = ReturnType<typeof createTelemetryService>;

/**
 * The collect-store-query context (ARCHITECTURE §2, §7): consumes
 * `telemetry`/`event` uplinks, commits them through the writer before they
 * are acknowledged, keeps latest values and device activity, answers
 * history queries, and enforces retention.
 */
export function createTelemetryService(deps: TelemetryDeps) {
  const { store, writer, registry, bus, clock } = deps;
  const log = deps.log.child({ part: 'telemetry' });
  const profiles = new DeviceProfiles(registry, bus, clock);
  const latest = new LatestValues(store);
  const activity = new Activity(bus, profiles, () => clock.now());
  const metrics = createTelemetryMetrics(deps.metrics, () => writer.backlog);
  const ingest = createIngest({
    writer,
    profiles,
    latest,
    bus,
    log,
    metrics,
    maxBacklog: deps.maxBacklog ?? 200_000,
  });
  const queries = createQueries(store);
  const rates = new RateMeter();
  const timers: NodeJS.Timeout[] = [];

  bus.subscribe('telemetry', 'telemetry', (t) =>
    rates.add(t.tenant, clock.now(), t.points.length + t.events.length),
  );

  bus.subscribe('telemetry', 'uplink', (u) => {
    activity.seen(u);
    if (u.kind === 'telemetry' || u.kind === 'event') ingest.handle(u);
  });
  bus.subscribe('telemetry', 'registry', (change) => {
    if (change.kind !== 'device-deleted' && change.kind !== 'tenant-deleted') return;
    const device = change.kind === 'device-deleted' ? change.device : undefined;
    latest.forget(change.tenant, device);
    activity.forget(change.tenant, device);
    if (device === undefined) rates.forget(change.tenant);
    writer.forget(change.tenant, device).then(
      // A read between the two forgets may have reloaded the old values from storage: drop them again.
      () => latest.forget(change.tenant, device),
      (err: unknown) => log.error({ err, tenant: change.tenant, device }, 'deleting telemetry failed'),
    );
  });

  const retention = () => enforceRetention(registry, writer, clock.now(), log);
  const background = () => {
    retention().catch((err: unknown) => log.error({ err }, 'telemetry retention failed'));
  };

  return {
    history: queries.history,
    stream: queries.stream,
    events: queries.events,
    keys: queries.keys,
    latest: (tenant: string, device: string) => latest.get(tenant, device),
    /** Points (and events) and messages stored per second over the last 10 s, for the dashboard. */
    ingestRate: (tenant: string) => rates.rate(tenant, clock.now()),
    /** Points/events waiting for a commit; transports refuse new data above the limit. */
    get backlog(): number {
      return writer.backlog;
    },
    /** Runs retention now (also hourly once started). */
    enforceRetention: (): Promise<number> => retention(),
    /** Starts the background jobs: inactivity sweep every 5 s, retention a minute after start, then hourly. */
    start(): void {
      const sweep = setInterval(() => {
        activity.sweep().catch((err: unknown) => log.error({ err }, 'inactivity sweep failed'));
      }, 5_000);
      const first = setTimeout(background, 60_000);
      const hourly = setInterval(background, 3_600_000);
      for (const t of [sweep, first, hourly]) {
        t.unref();
        timers.push(t);
      }
    },
    /** Stops the jobs and commits what is pending. */
    async stop(): Promise<void> {
      for (const t of timers) clearTimeout(t);
      timers.length = 0;
      bus.unsubscribeAll('telemetry');
      await writer.close();
    },
  };
}
