import {
  type EventRow,
  type LatestRow,
  toEvent,
  toLatest,
  toPoint,
  type ValueRow,
} from '../rows/telemetry.js';
import type { AggregateQuery, Bucket, EventQuery, RawQuery, TelemetryStore } from '../telemetry.js';
import { bucketPoints, mergeRollups } from '../telemetry-buckets.js';
import type { PgPool } from './database.js';

const SERIES = 'SELECT id FROM telemetry_series WHERE tenant = $1 AND device = $2 AND key = $3';

/**
 * Reads of PostgreSQL telemetry, on the shared pool. Each first awaits
 * `settled` (the writer's), so a read sees every write acknowledged before
 * it; acknowledged already means committed here, so that wait only covers
 * writes still in their transaction. Time bounds on `ts`/`bucket` let the
 * planner skip the partitions outside the range. Bucketing and rollup
 * merging are SQLite's pure functions, so both backends answer alike.
 */
export function createPgTelemetryStore(pool: PgPool, settled: () => Promise<void>): TelemetryStore {
  return {
    async latest(tenant, device) {
      await settled();
      const { rows } = await pool.query<LatestRow>(
        `SELECT s.key, l.ts, l.kind, l.num, l.txt FROM telemetry_series s
         JOIN telemetry_latest l ON l.series = s.id WHERE s.tenant = $1 AND s.device = $2 ORDER BY s.key`,
        [tenant, device],
      );
      return toLatest(rows);
    },
    async keys(tenant, device) {
      await settled();
      const { rows } = await pool.query<{ key: string }>(
        'SELECT key FROM telemetry_series WHERE tenant = $1 AND device = $2 ORDER BY key COLLATE "C"',
        [tenant, device],
      );
      return rows.map((r) => r.key);
    },
    async raw(q: RawQuery) {
      await settled();
      const from = q.after === undefined ? q.from : Math.max(q.from, q.after + 1);
      const { rows } = await pool.query<ValueRow>(
        `SELECT ts, kind, num, txt FROM telemetry
         WHERE series = (${SERIES}) AND ts >= $4 AND ts <= $5 ORDER BY ts LIMIT $6`,
        [q.tenant, q.device, q.key, from, q.to, q.limit],
      );
      return rows.map(toPoint);
    },
    async aggregate(q: AggregateQuery): Promise<Bucket[]> {
      await settled();
      if (q.source === 'raw') {
        // Raw aggregation serves short ranges (the service picks rollups for long ones).
        const { rows } = await pool.query<{ ts: number; num: number }>(
          `SELECT ts, num FROM telemetry
           WHERE series = (${SERIES}) AND kind = 0 AND ts >= $4 AND ts <= $5 ORDER BY ts`,
          [q.tenant, q.device, q.key, q.from, q.to],
        );
        return bucketPoints(rows, q.interval);
      }
      const table = q.source === '1m' ? 'telemetry_1m' : 'telemetry_1h';
      const { rows } = await pool.query(
        `SELECT bucket, count, min, max, sum, first_ts, first, last_ts, last FROM ${table}
         WHERE series = (${SERIES}) AND bucket >= $4 AND bucket <= $5 ORDER BY bucket`,
        [q.tenant, q.device, q.key, q.from, q.to],
      );
      return mergeRollups(rows, q.interval);
    },
    async events(q: EventQuery) {
      await settled();
      // Newest first by time; (ts, id) pages stay exact when older events arrive after newer ones.
      const b = q.before ?? { ts: Number.MAX_SAFE_INTEGER, id: Number.MAX_SAFE_INTEGER };
      const { rows } = await pool.query<EventRow>(
        `SELECT id, ts, type, data FROM device_events
         WHERE tenant = $1 AND device = $2 AND ts >= $3 AND ts <= $4 AND ($5::text IS NULL OR type = $5)
           AND (ts, id) < ($6, $7)
         ORDER BY ts DESC, id DESC LIMIT $8`,
        [q.tenant, q.device, q.from, q.to, q.type ?? null, b.ts, b.id, q.limit],
      );
      return rows.map(toEvent);
    },
  };
}
