import { DEFAULT_PROFILE_SPEC } from '../../registry/model.js';
import type { PurgeRule } from '../telemetry.js';
import type { PgPool, Queryable } from './database.js';
import {
  PARTITION_WIDTH,
  type PartitionCache,
  type PartitionedTable,
  partitionStart,
} from './telemetry-partitions.js';

const DAY = 86_400_000;

/** Cut-offs every device is past: nothing older is kept for anyone (epoch ms). */
export interface RetentionHorizon {
  /** Raw points and events. */
  readonly raw: number;
  readonly rollups: number;
}

/**
 * The horizon from the longest retention of any profile (profiles.spec, as
 * the registry stores it; absent fields take the registry's defaults), or
 * undefined when there is no profile. Reading the registry's table is a
 * deliberate exception to "a context owns its tables": the writer's purge
 * rules arrive 500 devices at a time (telemetry/retention.ts), and a
 * partition holds every device's points, so only the longest retention of
 * all profiles says when a whole partition may go. Replaceable through
 * PgTelemetryWriterOptions.horizon.
 */
export async function longestRetention(q: Queryable, now: number): Promise<RetentionHorizon | undefined> {
  const { rows } = await q.query<{ raw: number | null; rollups: number | null }>(
    `SELECT max(coalesce((spec::jsonb ->> 'retentionDays')::float8, $1)) AS raw,
            max(coalesce((spec::jsonb ->> 'rollupRetentionDays')::float8, $2)) AS rollups
     FROM profiles`,
    [DEFAULT_PROFILE_SPEC.retentionDays, DEFAULT_PROFILE_SPEC.rollupRetentionDays],
  );
  const r = rows[0];
  if (!r || r.raw === null || r.rollups === null) return undefined;
  return { raw: now - r.raw * DAY, rollups: now - r.rollups * DAY };
}

/** Where row deletes of one table start: the oldest partition left after the drops (0: none dropped). */
function keptFrom(table: PartitionedTable, horizon: number | undefined): number {
  return horizon === undefined ? 0 : partitionStart(table, horizon);
}

/**
 * Retention on PostgreSQL, in two steps. (1) Partitions entirely older
 * than the horizon (the longest retention in use) are dropped: no row
 * deletes, no bloat, no vacuum. (2) Each rule deletes its devices' rows
 * older than its cut-off from the partitions left, except when the cut-off
 * falls in the oldest partition left: those rows go with that partition
 * when the horizon passes its end. So the profiles with the longest
 * retention (usually most data) never pay row deletes, and their data
 * stays at most one partition width (a day for points and events, 7 or 30
 * days for minute or hour rollups) beyond its retention. Without a
 * horizon (no profiles) every cut-off is exact. Returns rows removed
 * (for dropped partitions, the planner's estimate).
 */
export async function purge(
  pool: PgPool,
  partitions: PartitionCache,
  rules: readonly PurgeRule[],
  horizon: RetentionHorizon | undefined,
): Promise<number> {
  let removed = 0;
  const cut: Record<PartitionedTable, number | undefined> = {
    telemetry: horizon?.raw,
    device_events: horizon?.raw,
    telemetry_1m: horizon?.rollups,
    telemetry_1h: horizon?.rollups,
  };
  if (horizon) {
    for (const table of Object.keys(cut) as PartitionedTable[]) {
      removed += await partitions.dropBefore(table, cut[table] as number);
    }
  }
  /** The cut-off a rule's row delete uses in `table`, or undefined when the drops cover it. */
  const rowCut = (table: PartitionedTable, before: number): number | undefined => {
    const from = keptFrom(table, cut[table]);
    return from > 0 && before < from + PARTITION_WIDTH[table] ? undefined : before;
  };
  for (const rule of rules) {
    const devices = rule.devices ? [...rule.devices] : null;
    const series = `SELECT id FROM telemetry_series WHERE tenant = $1 AND ($2::text[] IS NULL OR device = ANY($2))`;
    const raw = rowCut('telemetry', rule.rawBefore);
    if (raw !== undefined) {
      removed += await count(pool, `DELETE FROM telemetry WHERE series IN (${series}) AND ts < $3`, [
        rule.tenant,
        devices,
        raw,
      ]);
    }
    for (const table of ['telemetry_1m', 'telemetry_1h'] as const) {
      const before = rowCut(table, rule.rollupsBefore);
      if (before === undefined) continue;
      removed += await count(pool, `DELETE FROM ${table} WHERE series IN (${series}) AND bucket < $3`, [
        rule.tenant,
        devices,
        before,
      ]);
    }
    const events = rowCut('device_events', rule.eventsBefore);
    if (events !== undefined) {
      removed += await count(
        pool,
        'DELETE FROM device_events WHERE tenant = $1 AND ($2::text[] IS NULL OR device = ANY($2)) AND ts < $3',
        [rule.tenant, devices, events],
      );
    }
  }
  return removed;
}

/** Deletes all data of one device, or of a tenant, in one transaction. */
export async function forget(c: Queryable, tenant: string, device: string | undefined): Promise<void> {
  const args = [tenant, device ?? null];
  const where = 'tenant = $1 AND ($2::text IS NULL OR device = $2)';
  for (const t of ['telemetry', 'telemetry_1m', 'telemetry_1h', 'telemetry_latest']) {
    await c.query(`DELETE FROM ${t} WHERE series IN (SELECT id FROM telemetry_series WHERE ${where})`, args);
  }
  await c.query(`DELETE FROM telemetry_series WHERE ${where}`, args);
  await c.query(`DELETE FROM device_events WHERE ${where}`, args);
}

async function count(pool: PgPool, sql: string, args: unknown[]): Promise<number> {
  return (await pool.query(sql, args)).rowCount ?? 0;
}
