import type {
  AggregateQuery,
  Bucket,
  EventQuery,
  LatestValue,
  RawQuery,
  Scalar,
  StoredEvent,
  TelemetryStore,
} from '../telemetry.js';
import { type SqliteDb, statementCache } from './database.js';

interface ValueRow {
  ts: number;
  kind: number;
  num: number | null;
  txt: string | null;
}

function scalarOf(r: ValueRow): Scalar {
  if (r.kind === 0) return r.num as number;
  if (r.kind === 1) return r.num === 1;
  return r.txt as string;
}

/** A row of telemetry_1m / telemetry_1h. */
interface RollupRow {
  bucket: number;
  count: number;
  min: number;
  max: number;
  sum: number;
  first_ts: number;
  first: number;
  last_ts: number;
  last: number;
}

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
      ).all(tenant, device) as (ValueRow & { key: string })[];
      const out: Record<string, LatestValue> = {};
      for (const r of rows) out[r.key] = { ts: r.ts, value: scalarOf(r) };
      return out;
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
      return rows.map((r) => ({ ts: r.ts, value: scalarOf(r) }));
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
      ).all(q.tenant, q.device, q.from, q.to, q.type ?? null, q.type ?? null, b.ts, b.ts, b.id, q.limit) as {
        id: number;
        ts: number;
        type: string;
        data: string;
      }[];
      return rows.map((r): StoredEvent => ({ id: r.id, ts: r.ts, type: r.type, data: JSON.parse(r.data) }));
    },
  };
}

/** Buckets raw numeric points (oldest first) into `interval`-wide buckets. */
export function bucketPoints(points: Iterable<{ ts: number; num: number }>, interval: number): Bucket[] {
  const out: Bucket[] = [];
  let cur:
    | { ts: number; count: number; min: number; max: number; sum: number; first: number; last: number }
    | undefined;
  for (const p of points) {
    const ts = p.ts - (p.ts % interval);
    if (!cur || cur.ts !== ts) {
      if (cur) out.push(cur);
      cur = { ts, count: 0, min: p.num, max: p.num, sum: 0, first: p.num, last: p.num };
    }
    cur.count++;
    cur.sum += p.num;
    if (p.num < cur.min) cur.min = p.num;
    if (p.num > cur.max) cur.max = p.num;
    cur.last = p.num;
  }
  if (cur) out.push(cur);
  return out;
}

/** Merges minute/hour rollups into buckets of `interval` ms (a multiple of the rollup width). */
export function mergeRollups(rows: readonly RollupRow[], interval: number): Bucket[] {
  const out: Bucket[] = [];
  type Acc = { -readonly [K in keyof Bucket]: Bucket[K] } & { firstTs: number; lastTs: number };
  let cur: Acc | undefined;
  for (const r of rows) {
    const ts = r.bucket - (r.bucket % interval);
    if (!cur || cur.ts !== ts) {
      if (cur) out.push(strip(cur));
      cur = {
        ts,
        count: 0,
        min: r.min,
        max: r.max,
        sum: 0,
        first: r.first,
        last: r.last,
        firstTs: r.first_ts,
        lastTs: r.last_ts,
      };
    }
    cur.count += r.count;
    cur.sum += r.sum;
    if (r.min < cur.min) cur.min = r.min;
    if (r.max > cur.max) cur.max = r.max;
    if (r.first_ts < cur.firstTs) {
      cur.firstTs = r.first_ts;
      cur.first = r.first;
    }
    if (r.last_ts >= cur.lastTs) {
      cur.lastTs = r.last_ts;
      cur.last = r.last;
    }
  }
  if (cur) out.push(strip(cur));
  return out;
}

function strip(b: Bucket): Bucket {
  return { ts: b.ts, count: b.count, min: b.min, max: b.max, sum: b.sum, first: b.first, last: b.last };
}
