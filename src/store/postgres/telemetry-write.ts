import type { EventRow, WriteBatch } from '../telemetry.js';
import { inTransaction, type PgClient, type PgPool } from './database.js';
import type { PartitionCache } from './telemetry-partitions.js';
import { emptyPoints, newestOf, type PointColumns, rollupsOf } from './telemetry-rollups.js';
import type { SeriesIds } from './telemetry-series.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Tries of one transaction that hit a deadlock or a partition dropped meanwhile. */
const TRIES = 3;

export interface WriteContext {
  readonly pool: PgPool;
  readonly series: SeriesIds;
  readonly partitions: PartitionCache;
  /** false: `SET LOCAL synchronous_commit = off` (an explicit option: a crash may lose acknowledged data). */
  readonly synchronousCommit: boolean;
}

/**
 * Numbers as an array literal: pg would format each element through its
 * generic path; this is the bulk of every statement's parameters.
 */
const numbers = (a: readonly (number | null)[]): string =>
  `{${a.map((v) => (v === null ? 'NULL' : String(v))).join(',')}}`;

const INSERT_POINTS = `WITH ins AS (
    INSERT INTO telemetry (series, ts, kind, num, txt)
    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::float8[], $5::text[])
    ON CONFLICT DO NOTHING RETURNING series, ts)
  SELECT count(*)::int AS n,
    CASE WHEN count(*) < $6 THEN array_agg(series)::float8[] END AS s,
    CASE WHEN count(*) < $6 THEN array_agg(ts)::float8[] END AS t
  FROM ins`;

const upsertRollups = (table: string) => `INSERT INTO ${table} AS r
    (series, bucket, count, min, max, sum, first_ts, first, last_ts, last)
  SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::float8[], $5::float8[],
    $6::float8[], $7::bigint[], $8::float8[], $9::bigint[], $10::float8[])
  ON CONFLICT (series, bucket) DO UPDATE SET
    count = r.count + excluded.count,
    min = least(r.min, excluded.min),
    max = greatest(r.max, excluded.max),
    sum = r.sum + excluded.sum,
    first = CASE WHEN excluded.first_ts < r.first_ts THEN excluded.first ELSE r.first END,
    first_ts = least(r.first_ts, excluded.first_ts),
    last = CASE WHEN excluded.last_ts > r.last_ts THEN excluded.last ELSE r.last END,
    last_ts = greatest(r.last_ts, excluded.last_ts)`;
const UPSERT_1M = upsertRollups('telemetry_1m');
const UPSERT_1H = upsertRollups('telemetry_1h');

const UPSERT_LATEST = `INSERT INTO telemetry_latest AS l (series, ts, kind, num, txt)
  SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::float8[], $5::text[])
  ON CONFLICT (series) DO UPDATE SET ts = excluded.ts, kind = excluded.kind, num = excluded.num, txt = excluded.txt
  WHERE excluded.ts > l.ts`;

const INSERT_EVENTS = `INSERT INTO device_events (tenant, device, ts, type, data)
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[])`;

/** A group's points, sorted by (series, ts) without duplicates, and where each came from. */
interface Prepared {
  readonly points: PointColumns;
  /** Index in the group of each row of `points`. */
  readonly origin: number[];
  readonly total: number;
  readonly events: EventRow[];
  readonly pointDays: Set<number>;
  readonly eventDays: Set<number>;
}

/**
 * Writes a group of batches in one transaction: raw points (duplicates of
 * stored ones skipped, RETURNING says which), then rollups and newest
 * values of what was stored, then events. Rollups and newest values merge
 * by timestamp, so transactions in flight at once may commit in any order.
 * Returns one flag per point of the group (batches concatenated).
 */
export async function writeGroup(ctx: WriteContext, batches: readonly WriteBatch[]): Promise<Uint8Array> {
  const p = await prepare(ctx, batches);
  const stored = new Uint8Array(p.total);
  for (let attempt = 1; ; attempt++) {
    try {
      await ctx.partitions.ensure(p.pointDays, p.eventDays);
      const storedRows = await inTransaction(ctx.pool, (c) => transaction(ctx, c, p));
      for (let j = 0; j < p.origin.length; j++) if (storedRows(j)) stored[p.origin[j] as number] = 1;
      return stored;
    } catch (err) {
      const code = (err as { code?: string }).code;
      // 40P01 deadlock, 40001 serialization; 23514: no partition for a row (another node dropped it).
      if (attempt >= TRIES || (code !== '40P01' && code !== '40001' && code !== '23514')) throw err;
      if (code === '23514') ctx.partitions.reset();
    }
  }
}

async function transaction(ctx: WriteContext, c: PgClient, p: Prepared): Promise<(j: number) => boolean> {
  if (!ctx.synchronousCommit) await c.query('SET LOCAL synchronous_commit = off');
  let stored: (j: number) => boolean = () => true;
  const pts = p.points;
  if (pts.ts.length > 0) {
    const { rows } = await c.query<{ n: number; s: number[] | null; t: number[] | null }>(INSERT_POINTS, [
      numbers(pts.series),
      numbers(pts.ts),
      numbers(pts.kind),
      numbers(pts.num),
      pts.txt,
      pts.ts.length,
    ]);
    const r = rows[0];
    if (r && r.n < pts.ts.length) {
      // Some were stored already (a resend): only those RETURNING named are new.
      const inserted = new Set<string>();
      const s = r.s ?? [];
      const t = r.t ?? [];
      for (let i = 0; i < s.length; i++) inserted.add(`${s[i]}:${t[i]}`);
      stored = (j) => inserted.has(`${pts.series[j]}:${pts.ts[j]}`);
    }
    for (const [sql, width] of [
      [UPSERT_1M, MINUTE],
      [UPSERT_1H, HOUR],
    ] as const) {
      const r = rollupsOf(pts, stored, width);
      if (r.series.length === 0) continue;
      await c.query(sql, [
        numbers(r.series),
        numbers(r.bucket),
        numbers(r.count),
        numbers(r.min),
        numbers(r.max),
        numbers(r.sum),
        numbers(r.firstTs),
        numbers(r.first),
        numbers(r.lastTs),
        numbers(r.last),
      ]);
    }
    const n = newestOf(pts, stored);
    if (n.series.length > 0) {
      await c.query(UPSERT_LATEST, [
        numbers(n.series),
        numbers(n.ts),
        numbers(n.kind),
        numbers(n.num),
        n.txt,
      ]);
    }
  }
  if (p.events.length > 0) {
    const e = p.events;
    await c.query(INSERT_EVENTS, [
      e.map((x) => x.tenant),
      e.map((x) => x.device),
      numbers(e.map((x) => x.ts)),
      e.map((x) => x.type),
      e.map((x) => JSON.stringify(x.data)),
    ]);
  }
  return stored;
}

/** Series ids (interning new ones), the sort by (series, ts), and the group's duplicates dropped. */
async function prepare(ctx: WriteContext, batches: readonly WriteBatch[]): Promise<Prepared> {
  const all = batches.flatMap((b) => b.points);
  const events = batches.flatMap((b) => b.events);
  const missing = new Map<string, readonly [string, string, string]>();
  for (const pt of all) {
    if (ctx.series.get(pt.tenant, pt.device, pt.key) !== undefined) continue;
    missing.set(`${pt.tenant}\u0000${pt.device}\u0000${pt.key}`, [pt.tenant, pt.device, pt.key]);
  }
  if (missing.size > 0) await ctx.series.intern(ctx.pool, [...missing.values()]);
  const ids = all.map((pt) => ctx.series.get(pt.tenant, pt.device, pt.key) as number);
  const order = all.map((_, i) => i);
  order.sort((a, b) => (ids[a] as number) - (ids[b] as number) || all[a]!.ts - all[b]!.ts || a - b);

  const points = emptyPoints();
  const origin: number[] = [];
  const pointDays = new Set<number>();
  let lastDay = Number.NaN;
  for (const i of order) {
    const pt = all[i]!;
    const series = ids[i] as number;
    const at = points.ts.length - 1;
    // The first of the group's points with one (series, ts) is kept; the others are duplicates.
    if (at >= 0 && points.series[at] === series && points.ts[at] === pt.ts) continue;
    points.series.push(series);
    points.ts.push(pt.ts);
    const v = pt.value;
    points.kind.push(typeof v === 'number' ? 0 : typeof v === 'boolean' ? 1 : 2);
    points.num.push(typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : null);
    points.txt.push(typeof v === 'string' ? v : null);
    origin.push(i);
    const day = pt.ts - (pt.ts % DAY);
    if (day !== lastDay) pointDays.add(day);
    lastDay = day;
  }
  const eventDays = new Set(events.map((e) => e.ts - (e.ts % DAY)));
  return { points, origin, total: all.length, events, pointDays, eventDays };
}
