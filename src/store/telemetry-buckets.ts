import type { Bucket } from './telemetry.js';

/**
 * Aggregation both backends share: raw points into buckets, and minute or
 * hour rollups merged into wider buckets, so SQLite and PostgreSQL answer an
 * aggregate query alike.
 */

/** A row of telemetry_1m / telemetry_1h. */
export interface RollupRow {
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
