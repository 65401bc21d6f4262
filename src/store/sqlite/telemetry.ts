import {
  type EventRow,
  type LatestRow,
  toEvent,
  toLatest,
  toPoint,
  type ValueRow,
} from '../rows/telemetry.js';
import type { AggregateQuery, Bucket, EventQuery, RawQuery, TelemetryStore } from '../telemetry.js';
import { bucketPoints, mergeRollups, type RollupRow } from '../telemetry-buckets.js';
import { type SqliteDb, statementCache } from './database.js';

const SERIES = 'SELECT id FROM telemetry_series WHERE tenant = ? AND device = ? AND key = ?';

/**
 * Reads of SQLite telemetry on the main connection (WAL lets them run while
 * the writer thread commits). Each first awaits `settled` (the writer's:
 * acknowledged data still in its journal is committed then), so a read sees
 * every write acknowledged before it. Aggregates over rollups merge the
 * stored per-minute/hour summaries into wider buckets; over raw points
 * SQLite groups them itself.
 */
export function createSqliteTelemetryStore(db: SqliteDb, settled: () => Promise<void>): TelemetryStore {
  const prepare = statementCache(db);
  return {
    async latest(tenant, device) {
      await settled();
      const rows = prepare(
        `SELECT s.key, l.ts, l.kind, l.num, l.txt FROM telemetry_series s
         JOIN telemetry_latest l ON l.series = s.id WHERE s.tenant = ? AND s.device = ? ORDER BY s.key`,
      ).all(tenant, device) as LatestRow[];
      return toLatest(rows);
    },
    async keys(tenant, device) {
      await settled();
      return (
        prepare('SELECT key FROM telemetry_series WHERE tenant = ? AND device = ? ORDER BY key').all(
          tenant,
          device,
        ) as { key: string }[]
      ).map((r) => r.key);
    },
    async raw(q: RawQuery) {
      await settled();
      const from = q.after === undefined ? q.from : Math.max(q.from, q.after + 1);
      const rows = prepare(
        `SELECT ts, kind, num, txt FROM telemetry WHERE series = (${SERIES}) AND ts >= ? AND ts <= ? ORDER BY ts LIMIT ?`,
      ).all(q.tenant, q.device, q.key, from, q.to, q.limit) as ValueRow[];
      return rows.map(toPoint);
    },
    async aggregate(q: AggregateQuery): Promise<Bucket[]> {
      await settled();
      if (q.source === 'raw') {
        // Raw aggregation serves short ranges (the service picks rollups for long ones): bucket in one pass.
        const points = prepare(
          `SELECT ts, num FROM telemetry WHERE series = (${SERIES}) AND kind = 0 AND ts >= ? AND ts <= ? ORDER BY ts`,
        ).iterate(q.tenant, q.device, q.key, q.from, q.to) as Iterable<{ ts: number; num: number }>;
        return bucketPoints(points, q.interval);
      }
      const table = q.source === '1m' ? 'telemetry_1m' : 'telemetry_1h';
      const rows = prepare(
        `SELECT bucket, count, min, max, sum, first_ts, first, last_ts, last FROM ${table}
         WHERE series = (${SERIES}) AND bucket >= ? AND bucket <= ? ORDER BY bucket`,
      ).all(q.tenant, q.device, q.key, q.from, q.to) as RollupRow[];
      return mergeRollups(rows, q.interval);
    },
    async events(q: EventQuery) {
      await settled();
      // Newest first by time; (ts, id) pages stay exact when older events arrive after newer ones.
      const b = q.before ?? { ts: Number.MAX_SAFE_INTEGER, id: Number.MAX_SAFE_INTEGER };
      const rows = prepare(
        `SELECT id, ts, type, data FROM device_events
         WHERE tenant = ? AND device = ? AND ts >= ? AND ts <= ? AND (? IS NULL OR type = ?)
           AND (ts < ? OR (ts = ? AND id < ?))
         ORDER BY ts DESC, id DESC LIMIT ?`,
      ).all(
        q.tenant,
        q.device,
        q.from,
        q.to,
        q.type ?? null,
        q.type ?? null,
        b.ts,
        b.ts,
        b.id,
        q.limit,
      ) as EventRow[];
      return rows.map(toEvent);
    },
  };
}
