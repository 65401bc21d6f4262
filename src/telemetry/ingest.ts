import { applyMapping } from '../codecs/index.js';
import type { Bus } from '../core/bus.js';
import type { EventData, ItemRejection, TelemetryData, Uplink, UplinkOutcome } from '../core/envelope.js';
import type { Logger } from '../core/logger.js';
import type { TelemetryWriter } from '../store/index.js';
import type { DeviceProfiles } from './device-profiles.js';
import { TelemetryErrors } from './errors.js';
import type { LatestValues } from './latest.js';
import type { TelemetryMetrics } from './metrics.js';
import { mappingsOf, timestampProblem, validatePoints } from './model.js';

export interface IngestDeps {
  readonly writer: TelemetryWriter;
  readonly profiles: DeviceProfiles;
  readonly latest: LatestValues;
  readonly bus: Bus;
  readonly log: Logger;
  readonly metrics: TelemetryMetrics;
  /** Above this many uncommitted points new data is refused (BUSY) instead of queued without bound. */
  readonly maxBacklog: number;
}

const fail = (
  code: { code: string },
  message: string,
  rejected: readonly ItemRejection[] = [],
): UplinkOutcome => ({
  accepted: 0,
  rejected,
  error: { code: code.code, message },
});

/**
 * The telemetry writer's side of `telemetry` and `event` uplinks: map and
 * validate against the device's profile, commit in the writer's next group,
 * then acknowledge (the transport releases its PUBACK or HTTP response),
 * update the latest values and announce the stored data on the bus.
 */
export function createIngest(deps: IngestDeps) {
  const { writer, profiles, latest, bus, log, metrics } = deps;

  /**
   * The time of points sent without one: the receive time, but strictly after
   * the previous such stamp of the device. Two messages in the same
   * millisecond would otherwise get the same time, and the second would be
   * taken for a resend of the first (one point per key and millisecond).
   */
  const lastStamp = new Map<string, number>();
  function stampFor(u: Uplink): number {
    const k = `${u.tenant}\u0000${u.device}`;
    const stamp = Math.max(u.ts, (lastStamp.get(k) ?? 0) + 1);
    if (lastStamp.size >= 200_000) lastStamp.clear();
    lastStamp.set(k, stamp);
    return stamp;
  }

  async function telemetry(u: Uplink): Promise<UplinkOutcome> {
    const data = u.data as TelemetryData;
    const decoded = data.problems;
    const profile = await profiles.of(u.tenant, u.device);
    if (!profile) return fail(TelemetryErrors.DEVICE_UNKNOWN, `device ${u.device} does not exist`, decoded);
    const mapped = applyMapping(data.points, mappingsOf(profile.telemetry));
    const { valid, rejected } = validatePoints(mapped, profile, u.ts, stampFor(u));
    const allRejected = decoded.length === 0 ? rejected : [...decoded, ...rejected];
    if (allRejected.length > 0) metrics.points.inc({ result: 'rejected' }, allRejected.length);
    if (valid.length === 0) return { accepted: 0, rejected: allRejected };
    if (writer.backlog > deps.maxBacklog) {
      metrics.points.inc({ result: 'failed' }, valid.length);
      return fail(TelemetryErrors.BUSY, 'storage is behind; retry shortly', allRejected);
    }
    let stored: readonly boolean[];
    try {
      stored = await writer.write({
        points: valid.map((p) => ({
          tenant: u.tenant,
          device: u.device,
          key: p.key,
          ts: p.ts,
          value: p.value,
        })),
        events: [],
      });
    } catch (err) {
      metrics.points.inc({ result: 'failed' }, valid.length);
      log.error({ err, tenant: u.tenant, device: u.device }, 'telemetry commit failed');
      return fail(TelemetryErrors.STORE_FAILED, 'data could not be stored; retry', allRejected);
    }
    // A duplicate of a stored point (a resend) is accepted but changes nothing: the first value stays,
    // so only newly stored points update the latest values and go out on the bus.
    const fresh = stored.every(Boolean) ? valid : valid.filter((_, i) => stored[i]);
    metrics.points.inc({ result: 'stored' }, fresh.length);
    if (fresh.length < valid.length) metrics.points.inc({ result: 'duplicate' }, valid.length - fresh.length);
    if (fresh.length > 0) {
      latest.update(u.tenant, u.device, fresh);
      bus.publish('telemetry', { tenant: u.tenant, device: u.device, points: fresh, events: [] });
    }
    return { accepted: valid.length, rejected: allRejected };
  }

  async function events(u: Uplink): Promise<UplinkOutcome> {
    const data = u.data as EventData;
    const profile = await profiles.of(u.tenant, u.device);
    if (!profile)
      return fail(TelemetryErrors.DEVICE_UNKNOWN, `device ${u.device} does not exist`, data.problems);
    const rejected: ItemRejection[] = [...data.problems];
    const valid: { type: string; ts: number; data: Record<string, unknown> }[] = [];
    for (const e of data.events) {
      const ts = e.ts === undefined ? u.ts : Math.round(e.ts);
      const at = e.index === undefined ? {} : { index: e.index };
      const bad = timestampProblem(ts, u.ts, profile.retentionDays);
      if (bad) rejected.push({ ...at, key: 'ts', reason: bad });
      // PostgreSQL text cannot hold U+0000 (the event's data is JSON text, where it is escaped).
      else if (e.type.includes('\u0000'))
        rejected.push({ ...at, key: 'type', reason: 'must not contain the character U+0000' });
      else valid.push({ type: e.type, ts, data: e.data });
    }
    if (rejected.length > 0) metrics.events.inc({ result: 'rejected' }, rejected.length);
    if (valid.length === 0) return { accepted: 0, rejected };
    if (writer.backlog > deps.maxBacklog) {
      metrics.events.inc({ result: 'failed' }, valid.length);
      return fail(TelemetryErrors.BUSY, 'storage is behind; retry shortly', rejected);
    }
    try {
      await writer.write({
        points: [],
        events: valid.map((e) => ({ tenant: u.tenant, device: u.device, ...e })),
      });
    } catch (err) {
      metrics.events.inc({ result: 'failed' }, valid.length);
      log.error({ err, tenant: u.tenant, device: u.device }, 'event commit failed');
      return fail(TelemetryErrors.STORE_FAILED, 'events could not be stored; retry', rejected);
    }
    metrics.events.inc({ result: 'stored' }, valid.length);
    bus.publish('telemetry', { tenant: u.tenant, device: u.device, points: [], events: valid });
    return { accepted: valid.length, rejected };
  }

  /** Handles one uplink of ours and acknowledges it exactly once. */
  function handle(u: Uplink): void {
    const work = u.kind === 'telemetry' ? telemetry(u) : events(u);
    work.then(
      (outcome) => u.ack?.(outcome),
      (err: unknown) => {
        log.error({ err, tenant: u.tenant, device: u.device }, 'ingest failed');
        u.ack?.(fail(TelemetryErrors.STORE_FAILED, 'data could not be stored; retry'));
      },
    );
  }

  return { handle };
}
