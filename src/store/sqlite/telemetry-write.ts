import type { PurgeRule, Scalar, WriteBatch, WriteResult } from '../telemetry.js';
import { type Prepare, type SqliteDb, statementCache } from './database.js';

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

function kindOf(v: Scalar): 0 | 1 | 2 {
  return typeof v === 'number' ? 0 : typeof v === 'boolean' ? 1 : 2;
}

/**
 * The write side of SQLite telemetry, synchronous: one call = one
 * transaction (the group commit). Runs in the writer's worker thread, which
 * owns this connection. A point whose (series, ts) is already stored is a
 * duplicate (a QoS 1 redelivery, a device replaying its buffer) and is
 * ignored, so rollups never count it twice.
 */
export function createTelemetryWriteOps(db: SqliteDb) {
  const prepare: Prepare = statementCache(db);
  const seriesIds = new Map<string, number>();

  function seriesId(tenant: string, device: string, key: string): number {
    const k = `${tenant}\u0000${device}\u0000${key}`;
    let id = seriesIds.get(k);
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
      if (seriesIds.size >= 200_000) seriesIds.clear();
      seriesIds.set(k, id);
    }
    return id;
  }

  function addRoll(rolls: Map<string, Roll>, series: number, bucket: number, ts: number, v: number): void {
    const k = `${series}:${bucket}`;
    const r = rolls.get(k);
    if (!r) {
      rolls.set(k, { count: 1, min: v, max: v, sum: v, firstTs: ts, first: v, lastTs: ts, last: v });
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

  function upsertRolls(table: 'telemetry_1m' | 'telemetry_1h', rolls: Map<string, Roll>): void {
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
    for (const [k, r] of rolls) {
      const sep = k.indexOf(':');
      stmt.run(
        Number(k.slice(0, sep)),
        Number(k.slice(sep + 1)),
        r.count,
        r.min,
        r.max,
        r.sum,
        r.firstTs,
        r.first,
        r.lastTs,
        r.last,
      );
    }
  }

  const writeTx = db.transaction((batch: WriteBatch): WriteResult => {
    const insert = prepare(
      'INSERT OR IGNORE INTO telemetry (series, ts, kind, num, txt) VALUES (?, ?, ?, ?, ?)',
    );
    const latest = prepare(`INSERT INTO telemetry_latest (series, ts, kind, num, txt) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (series) DO UPDATE SET ts = excluded.ts, kind = excluded.kind, num = excluded.num, txt = excluded.txt
      WHERE excluded.ts >= telemetry_latest.ts`);
    const minutes = new Map<string, Roll>();
    const hours = new Map<string, Roll>();
    const newest = new Map<number, { ts: number; kind: number; num: number | null; txt: string | null }>();
    const stored = new Uint8Array(batch.points.length);
    let i = -1;
    for (const p of batch.points) {
      i++;
      const series = seriesId(p.tenant, p.device, p.key);
      const kind = kindOf(p.value);
      const num = kind === 0 ? (p.value as number) : kind === 1 ? (p.value ? 1 : 0) : null;
      const txt = kind === 2 ? (p.value as string) : null;
      if (insert.run(series, p.ts, kind, num, txt).changes === 0) continue;
      stored[i] = 1;
      if (kind === 0) {
        addRoll(minutes, series, p.ts - (p.ts % MINUTE), p.ts, num as number);
        addRoll(hours, series, p.ts - (p.ts % HOUR), p.ts, num as number);
      }
      const n = newest.get(series);
      if (!n || p.ts >= n.ts) newest.set(series, { ts: p.ts, kind, num, txt });
    }
    upsertRolls('telemetry_1m', minutes);
    upsertRolls('telemetry_1h', hours);
    for (const [series, n] of newest) latest.run(series, n.ts, n.kind, n.num, n.txt);
    const ev = prepare('INSERT INTO device_events (tenant, device, ts, type, data) VALUES (?, ?, ?, ?, ?)');
    for (const e of batch.events) ev.run(e.tenant, e.device, e.ts, e.type, JSON.stringify(e.data));
    return { stored };
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
  });

  return {
    write: (batch: WriteBatch): WriteResult => writeTx(batch),
    purge: (rules: readonly PurgeRule[]): number => purgeTx(rules),
    forget: (tenant: string, device?: string): void => forgetTx(tenant, device),
  };
}
