import type { Alarm } from '../../alarms/model.js';
import type { AlarmActorNote, AlarmRaise, AlarmStore } from '../alarms.js';
import { toPage } from '../page.js';
import { type AlarmRow, type CountRow, raiseValues, tallyCounts, toAlarm } from '../rows/alarms.js';
import { jsonOrNull } from '../rows/json.js';
import { type SqliteDb, statementCache } from './database.js';

export function createSqliteAlarmStore(db: SqliteDb): AlarmStore {
  const prepare = statementCache(db);
  const note = (tenant: string, id: string, n: AlarmActorNote) => {
    if (n.comment !== undefined) {
      prepare('INSERT INTO alarm_comments (alarm, tenant, at, author, text) VALUES (?, ?, ?, ?, ?)').run(
        id,
        tenant,
        n.at,
        n.by,
        n.comment,
      );
    }
  };
  // Repeat-or-insert in one transaction; the partial unique index alarms_open
  // would refuse a second open alarm for the key should another writer race us.
  const raiseTx = db.transaction((id: string, r: AlarmRaise) => {
    const repeated = prepare(
      `UPDATE alarms SET count = count + 1, last_at = max(last_at, ?), severity = ?, message = ?,
         details = coalesce(?, details)
       WHERE tenant = ? AND dedup_key = ? AND status != 'cleared' RETURNING *`,
    ).get(r.at, r.severity, r.message, jsonOrNull(r.details), r.tenant, r.dedupKey) as AlarmRow | undefined;
    if (repeated) return { alarm: toAlarm(repeated), created: false };
    const inserted = prepare(
      `INSERT INTO alarms (id, tenant, device, rule, type, severity, status, message, dedup_key, details,
         raised_at, last_at, count)
       VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, 1) RETURNING *`,
    ).get(...raiseValues(id, r), r.at) as AlarmRow;
    return { alarm: toAlarm(inserted), created: true };
  });
  const moveTx = db.transaction(
    (tenant: string, id: string, to: 'acknowledged' | 'cleared', n: AlarmActorNote): Alarm | undefined => {
      const r = (
        to === 'acknowledged'
          ? prepare(
              `UPDATE alarms SET status = 'acknowledged', acknowledged_at = ?, acknowledged_by = ?
               WHERE tenant = ? AND id = ? AND status = 'active' RETURNING *`,
            )
          : prepare(
              `UPDATE alarms SET status = 'cleared', cleared_at = ?, cleared_by = ?
               WHERE tenant = ? AND id = ? AND status != 'cleared' RETURNING *`,
            )
      ).get(n.at, n.by, tenant, id) as AlarmRow | undefined;
      if (r) note(tenant, id, n);
      return r && toAlarm(r);
    },
  );
  return {
    async raise(id, r) {
      return raiseTx(id, r);
    },
    async acknowledge(tenant, id, n) {
      return moveTx(tenant, id, 'acknowledged', n);
    },
    async clear(tenant, id, n) {
      return moveTx(tenant, id, 'cleared', n);
    },
    async clearOpen(tenant, dedupKey, n) {
      const open = prepare(
        `SELECT id FROM alarms WHERE tenant = ? AND dedup_key = ? AND status != 'cleared'`,
      ).get(tenant, dedupKey) as { id: string } | undefined;
      return open && moveTx(tenant, open.id, 'cleared', n);
    },
    async comment(tenant, id, c) {
      note(tenant, id, { at: c.at, by: c.author, comment: c.text });
    },
    async comments(tenant, id) {
      return prepare(
        'SELECT at, author, text FROM alarm_comments WHERE tenant = ? AND alarm = ? ORDER BY seq',
      ).all(tenant, id) as { at: number; author: string; text: string }[];
    },
    async get(tenant, id) {
      const r = prepare('SELECT * FROM alarms WHERE tenant = ? AND id = ?').get(tenant, id) as
        | AlarmRow
        | undefined;
      return r && toAlarm(r);
    },
    async list(tenant, q) {
      const where = ['tenant = ?'];
      const args: unknown[] = [tenant];
      const eq = (column: string, v: string | undefined) => {
        if (v === undefined) return;
        where.push(`${column} = ?`);
        args.push(v);
      };
      if (q.status === 'open') where.push(`status != 'cleared'`);
      else eq('status', q.status);
      eq('severity', q.severity);
      eq('device', q.device);
      eq('type', q.type);
      eq('rule', q.rule);
      if (q.after !== undefined) {
        where.push('seq < ?');
        args.push(Number(q.after));
      }
      const rows = prepare(`SELECT * FROM alarms WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`).all(
        ...args,
        q.limit + 1,
      ) as AlarmRow[];
      const page = toPage(rows, q.limit, (r) => String(r.seq));
      return { ...page, items: page.items.map(toAlarm) };
    },
    async counts(tenant, device) {
      const rows = (
        device === undefined
          ? prepare(
              'SELECT status, severity, count(*) AS n FROM alarms WHERE tenant = ? GROUP BY status, severity',
            ).all(tenant)
          : prepare(
              `SELECT status, severity, count(*) AS n FROM alarms WHERE tenant = ? AND device = ?
               GROUP BY status, severity`,
            ).all(tenant, device)
      ) as CountRow[];
      const { total, bySeverity, byStatus } = tallyCounts(rows);
      const devices =
        device === undefined
          ? (
              prepare(
                "SELECT count(DISTINCT device) AS n FROM alarms WHERE tenant = ? AND status != 'cleared'",
              ).get(tenant) as { n: number }
            ).n
          : total > 0
            ? 1
            : 0;
      return { total, devices, bySeverity, byStatus };
    },
    async delete(tenant, device) {
      if (device === undefined) {
        prepare('DELETE FROM alarm_comments WHERE tenant = ?').run(tenant);
        prepare('DELETE FROM alarms WHERE tenant = ?').run(tenant);
        return;
      }
      db.transaction(() => {
        prepare(
          'DELETE FROM alarm_comments WHERE tenant = ? AND alarm IN (SELECT id FROM alarms WHERE tenant = ? AND device = ?)',
        ).run(tenant, tenant, device);
        prepare('DELETE FROM alarms WHERE tenant = ? AND device = ?').run(tenant, device);
      })();
    },
  };
}
