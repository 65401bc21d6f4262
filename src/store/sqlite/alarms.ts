import { type Alarm, type AlarmSeverity, type AlarmStatus, emptyCounts, isOpen } from '../../alarms/model.js';
import type { AlarmActorNote, AlarmRaise, AlarmStore } from '../alarms.js';
import { toPage } from '../page.js';
import { type SqliteDb, statementCache } from './database.js';

interface Row {
  seq: number;
  id: string;
  tenant: string;
  device: string;
  rule: string | null;
  type: string;
  severity: AlarmSeverity;
  status: AlarmStatus;
  message: string;
  details: string | null;
  raised_at: number;
  last_at: number;
  count: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  cleared_at: number | null;
  cleared_by: string | null;
}

function toAlarm(r: Row): Alarm {
  return {
    id: r.id,
    tenant: r.tenant,
    device: r.device,
    ...(r.rule === null ? {} : { rule: r.rule }),
    type: r.type,
    severity: r.severity,
    status: r.status,
    message: r.message,
    ...(r.details === null ? {} : { details: JSON.parse(r.details) }),
    raisedAt: r.raised_at,
    lastAt: r.last_at,
    count: r.count,
    ...(r.acknowledged_at === null ? {} : { acknowledgedAt: r.acknowledged_at }),
    ...(r.acknowledged_by === null ? {} : { acknowledgedBy: r.acknowledged_by }),
    ...(r.cleared_at === null ? {} : { clearedAt: r.cleared_at }),
    ...(r.cleared_by === null ? {} : { clearedBy: r.cleared_by }),
  };
}

const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));

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
    ).get(r.at, r.severity, r.message, json(r.details), r.tenant, r.dedupKey) as Row | undefined;
    if (repeated) return { alarm: toAlarm(repeated), created: false };
    const inserted = prepare(
      `INSERT INTO alarms (id, tenant, device, rule, type, severity, status, message, dedup_key, details,
         raised_at, last_at, count)
       VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, 1) RETURNING *`,
    ).get(
      id,
      r.tenant,
      r.device,
      r.rule ?? null,
      r.type,
      r.severity,
      r.message,
      r.dedupKey,
      json(r.details),
      r.at,
      r.at,
    ) as Row;
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
      ).get(n.at, n.by, tenant, id) as Row | undefined;
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
        | Row
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
      ) as Row[];
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
      ) as { status: AlarmStatus; severity: AlarmSeverity; n: number }[];
      const { bySeverity, byStatus } = emptyCounts();
      let total = 0;
      for (const r of rows) {
        byStatus[r.status] += r.n;
        if (!isOpen(r.status)) continue;
        bySeverity[r.severity] += r.n;
        total += r.n;
      }
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
