import type { EventRow, PurgeRule } from '../telemetry.js';
import { type Prepare, type SqliteDb, statementCache } from './database.js';
import type { PackedPoints } from './telemetry-pack.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;

interface Roll {
  count: number;
  min: number;
  max: number;
  sum: number;
  firstTs: number;
  first: number;
  lastTs: number;
  last: number;
}

/** A write as the writer thread receives it (see telemetry-pack.ts). */
export interface PackedBatch {
  readonly points: PackedPoints;
  readonly events: readonly EventRow[];
}

/**
 * The write side of SQLite telemetry, synchronous: one call = one
 * transaction (the group commit, many batches). Runs in the writer's worker thread, which
 * owns this connection. A point whose (series, ts) is already stored is a
 * duplicate (a QoS 1 redelivery, a device replaying its buffer) and is
 * ignored, so rollups never count it twice.
 */
export function createTelemetryWriteOps(db: SqliteDb) {
  const prepare: Prepare = statementCache(db);
  // tenant → device → key → series id: three lookups, no key string built per point.
  const seriesIds = new Map<string, Map<string, Map<string, number>>>();
  let cachedSeries = 0;

  function seriesId(tenant: string, device: string, key: string): number {
    let devices = seriesIds.get(tenant);
    if (!devices) {
      devices = new Map();
      seriesIds.set(tenant, devices);
    }
    let keys = devices.get(device);
    if (!keys) {
      keys = new Map();
      devices.set(device, keys);
    }
    let id = keys.get(key);
    if (id === undefined) {
      prepare('INSERT OR IGNORE INTO telemetry_series (tenant, device, key) VALUES (?, ?, ?)').run(
        tenant,
        device,
        key,
      );
      id = (
        prepare('SELECT id FROM telemetry_series WHERE tenant = ? AND device = ? AND key = ?').get(
          tenant,
          device,
          key,
        ) as { id: number }
      ).id;
      if (++cachedSeries > 200_000) {
        seriesIds.clear();
        cachedSeries = 0;
      }
      keys.set(key, id);
    }
    return id;
  }

  /** Rolls of one batch by series, then by bucket start (numbers: no key strings per point). */
  type Rolls = Map<number, Map<number, Roll>>;

  function addRoll(rolls: Rolls, series: number, bucket: number, ts: number, v: number): void {
    let bySeries = rolls.get(series);
    if (!bySeries) {
      bySeries = new Map();
      rolls.set(series, bySeries);
    }
    const r = bySeries.get(bucket);
    if (!r) {
      bySeries.set(bucket, { count: 1, min: v, max: v, sum: v, firstTs: ts, first: v, lastTs: ts, last: v });
      return;
    }
    r.count++;
    if (v < r.min) r.min = v;
    if (v > r.max) r.max = v;
    r.sum += v;
    if (ts < r.firstTs) {
      r.firstTs = ts;
      r.first = v;
    }
    if (ts >= r.lastTs) {
      r.lastTs = ts;
      r.last = v;
    }
  }

  function upsertRolls(table: 'telemetry_1m' | 'telemetry_1h', rolls: Rolls): void {
    const stmt =
      prepare(`INSERT INTO ${table} (series, bucket, count, min, max, sum, first_ts, first, last_ts, last)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (series, bucket) DO UPDATE SET
        count = count + excluded.count,
        min = min(min, excluded.min),
        max = max(max, excluded.max),
        sum = sum + excluded.sum,
        first = CASE WHEN excluded.first_ts < first_ts THEN excluded.first ELSE first END,
        first_ts = min(first_ts, excluded.first_ts),
        last = CASE WHEN excluded.last_ts >= last_ts THEN excluded.last ELSE last END,
        last_ts = max(last_ts, excluded.last_ts)`);
    for (const [series, bySeries] of rolls) {
      for (const [bucket, r] of bySeries) {
        stmt.run(series, bucket, r.count, r.min, r.max, r.sum, r.firstTs, r.first, r.lastTs, r.last);
      }
    }
  }

  interface Newest {
    ts: number;
    kind: number;
    num: number | null;
    txt: string | null;
  }

  /** One batch's points; rolls and newest values collect across the group. */
  function writePoints(
    p: PackedPoints,
    minutes: Rolls,
    hours: Rolls,
    newest: Map<number, Newest>,
  ): Uint8Array {
    const insert = prepare(
      'INSERT OR IGNORE INTO telemetry (series, ts, kind, num, txt) VALUES (?, ?, ?, ?, ?)',
    );
    const ids = p.tenants.map((t, i) => seriesId(t, p.devices[i] as string, p.keys[i] as string));
    const n = p.ts.length;
    const stored = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const series = ids[p.series[i] as number] as number;
      const ts = p.ts[i] as number;
      const kind = p.kind[i] as number;
      const num = kind === 2 ? null : (p.num[i] as number);
      const txt = kind === 2 ? (p.texts[i] as string) : null;
      if (insert.run(series, ts, kind, num, txt).changes === 0) continue;
      stored[i] = 1;
      if (kind === 0) {
        addRoll(minutes, series, ts - (ts % MINUTE), ts, num as number);
        addRoll(hours, series, ts - (ts % HOUR), ts, num as number);
      }
      const prev = newest.get(series);
      if (!prev) newest.set(series, { ts, kind, num, txt });
      else if (ts >= prev.ts) {
        prev.ts = ts;
        prev.kind = kind;
        prev.num = num;
        prev.txt = txt;
      }
    }
    return stored;
  }

  const writeTx = db.transaction((batches: readonly PackedBatch[], seq: number | undefined): Uint8Array[] => {
    const minutes: Rolls = new Map();
    const hours: Rolls = new Map();
    const newest = new Map<number, Newest>();
    const ev = prepare('INSERT INTO device_events (tenant, device, ts, type, data) VALUES (?, ?, ?, ?, ?)');
    const stored: Uint8Array[] = [];
    for (const batch of batches) {
      stored.push(writePoints(batch.points, minutes, hours, newest));
      for (const e of batch.events) ev.run(e.tenant, e.device, e.ts, e.type, JSON.stringify(e.data));
    }
    upsertRolls('telemetry_1m', minutes);
    upsertRolls('telemetry_1h', hours);
    const latest = prepare(`INSERT INTO telemetry_latest (series, ts, kind, num, txt) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (series) DO UPDATE SET ts = excluded.ts, kind = excluded.kind, num = excluded.num, txt = excluded.txt
      WHERE excluded.ts >= telemetry_latest.ts`);
    for (const [series, v] of newest) latest.run(series, v.ts, v.kind, v.num, v.txt);
    if (seq !== undefined) prepare('UPDATE telemetry_journal_state SET seq = ? WHERE seq < ?').run(seq, seq);
    return stored;
  });

  function seriesFilter(rule: PurgeRule): { sql: string; args: string[] } {
    if (!rule.devices)
      return { sql: 'SELECT id FROM telemetry_series WHERE tenant = ?', args: [rule.tenant] };
    return {
      sql: `SELECT id FROM telemetry_series WHERE tenant = ? AND device IN (${rule.devices.map(() => '?').join(',')})`,
      args: [rule.tenant, ...rule.devices],
    };
  }

  const purgeTx = db.transaction((rules: readonly PurgeRule[]): number => {
    let removed = 0;
    for (const rule of rules) {
      const f = seriesFilter(rule);
      removed += db
        .prepare(`DELETE FROM telemetry WHERE series IN (${f.sql}) AND ts < ?`)
        .run(...f.args, rule.rawBefore).changes;
      for (const t of ['telemetry_1m', 'telemetry_1h']) {
        removed += db
          .prepare(`DELETE FROM ${t} WHERE series IN (${f.sql}) AND bucket < ?`)
          .run(...f.args, rule.rollupsBefore).changes;
      }
      const devices = rule.devices ? ` AND device IN (${rule.devices.map(() => '?').join(',')})` : '';
      removed += db
        .prepare(`DELETE FROM device_events WHERE tenant = ?${devices} AND ts < ?`)
        .run(rule.tenant, ...(rule.devices ?? []), rule.eventsBefore).changes;
    }
    return removed;
  });

  const forgetTx = db.transaction((tenant: string, device: string | undefined) => {
    const where = device === undefined ? 'tenant = ?' : 'tenant = ? AND device = ?';
    const args = device === undefined ? [tenant] : [tenant, device];
    const ids = `SELECT id FROM telemetry_series WHERE ${where}`;
    for (const t of ['telemetry', 'telemetry_1m', 'telemetry_1h', 'telemetry_latest']) {
      db.prepare(`DELETE FROM ${t} WHERE series IN (${ids})`).run(...args);
    }
    db.prepare(`DELETE FROM telemetry_series WHERE ${where}`).run(...args);
    db.prepare(`DELETE FROM device_events WHERE ${where}`).run(...args);
    seriesIds.clear();
    cachedSeries = 0;
  });

  return {
    /**
     * Writes a group of batches in one transaction; `seq` is the highest
     * journal record the group carries, stored with it (exactly-once replay).
     * Per batch, one flag per point: 1 stored now, 0 a duplicate.
     */
    write: (batches: readonly PackedBatch[], seq?: number): Uint8Array[] => writeTx(batches, seq),
    /** The highest journal record already in the database (0: none). */
    journalSeq: (): number =>
      (prepare('SELECT seq FROM telemetry_journal_state').get() as { seq: number } | undefined)?.seq ?? 0,
    purge: (rules: readonly PurgeRule[]): number => purgeTx(rules),
    forget: (tenant: string, device?: string): void => forgetTx(tenant, device),
  };
}
