import type { AlarmActorNote, AlarmStore } from '../alarms.js';
import { type AlarmRow, type CountRow, raiseValues, tallyCounts, toAlarm } from '../rows/alarms.js';
import { inTransaction, type PgPool, type Queryable } from './database.js';
import { seqPage } from './seq-cursor.js';
import { statement } from './statement.js';
import { Where } from './where.js';

const SQL = {
  // Repeat-or-insert as one statement arbitrated by the partial unique index alarms_open: of
  // concurrent raises with one key, one inserts and the others wait for it and then repeat it.
  raise: statement(
    `INSERT INTO alarms AS a (id, tenant, device, rule, type, severity, status, message, dedup_key, details,
       raised_at, last_at, count)
     VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9, $10, $10, 1)
     ON CONFLICT (tenant, dedup_key) WHERE status != 'cleared' DO UPDATE SET count = a.count + 1,
       last_at = greatest(a.last_at, excluded.last_at), severity = excluded.severity,
       message = excluded.message, details = coalesce(excluded.details, a.details)
     RETURNING *`,
  ),
  acknowledge: statement(
    `UPDATE alarms SET status = 'acknowledged', acknowledged_at = $1, acknowledged_by = $2
     WHERE tenant = $3 AND id = $4 AND status = 'active' RETURNING *`,
  ),
  clear: statement(
    `UPDATE alarms SET status = 'cleared', cleared_at = $1, cleared_by = $2
     WHERE tenant = $3 AND id = $4 AND status != 'cleared' RETURNING *`,
  ),
  open: statement(`SELECT id FROM alarms WHERE tenant = $1 AND dedup_key = $2 AND status != 'cleared'`),
  comment: statement(
    'INSERT INTO alarm_comments (alarm, tenant, at, author, text) VALUES ($1, $2, $3, $4, $5)',
  ),
  comments: statement(
    'SELECT at, author, text FROM alarm_comments WHERE tenant = $1 AND alarm = $2 ORDER BY seq',
  ),
  get: statement('SELECT * FROM alarms WHERE tenant = $1 AND id = $2'),
  counts: statement(
    'SELECT status, severity, count(*) AS n FROM alarms WHERE tenant = $1 GROUP BY status, severity',
  ),
  deviceCounts: statement(
    'SELECT status, severity, count(*) AS n FROM alarms WHERE tenant = $1 AND device = $2 GROUP BY status, severity',
  ),
  alarming: statement(
    "SELECT count(DISTINCT device) AS n FROM alarms WHERE tenant = $1 AND status != 'cleared'",
  ),
  deleteTenantComments: statement('DELETE FROM alarm_comments WHERE tenant = $1'),
  deleteTenant: statement('DELETE FROM alarms WHERE tenant = $1'),
  deleteDeviceComments: statement(
    `DELETE FROM alarm_comments WHERE tenant = $1
       AND alarm IN (SELECT id FROM alarms WHERE tenant = $1 AND device = $2)`,
  ),
  deleteDevice: statement('DELETE FROM alarms WHERE tenant = $1 AND device = $2'),
};

async function note(c: Queryable, tenant: string, id: string, n: AlarmActorNote): Promise<void> {
  if (n.comment !== undefined) await c.query(SQL.comment([id, tenant, n.at, n.by, n.comment]));
}

export function createPgAlarmStore(pool: PgPool): AlarmStore {
  /** A compare-and-set on the status the alarm leaves, with its note in the same transaction. */
  const move = (tenant: string, id: string, to: 'acknowledged' | 'cleared', n: AlarmActorNote) =>
    inTransaction(pool, async (c) => {
      const r = (
        await c.query<AlarmRow>(
          SQL[to === 'acknowledged' ? 'acknowledge' : 'clear']([n.at, n.by, tenant, id]),
        )
      ).rows[0];
      if (r) await note(c, tenant, id, n);
      return r && toAlarm(r);
    });
  return {
    async raise(id, r) {
      const row = (await pool.query<AlarmRow>(SQL.raise(raiseValues(id, r)))).rows[0] as AlarmRow;
      // Ids are fresh per raise: the row carries ours only when this call inserted it.
      return { alarm: toAlarm(row), created: row.id === id };
    },
    acknowledge: (tenant, id, n) => move(tenant, id, 'acknowledged', n),
    clear: (tenant, id, n) => move(tenant, id, 'cleared', n),
    async clearOpen(tenant, dedupKey, n) {
      const open = (await pool.query<{ id: string }>(SQL.open([tenant, dedupKey]))).rows[0];
      return open && move(tenant, open.id, 'cleared', n);
    },
    async comment(tenant, id, c) {
      await note(pool, tenant, id, { at: c.at, by: c.author, comment: c.text });
    },
    async comments(tenant, id) {
      return (await pool.query<{ at: number; author: string; text: string }>(SQL.comments([tenant, id])))
        .rows;
    },
    async get(tenant, id) {
      const r = (await pool.query<AlarmRow>(SQL.get([tenant, id]))).rows[0];
      return r && toAlarm(r);
    },
    async list(tenant, q) {
      const where = new Where(tenant);
      if (q.status === 'open') where.raw(`status != 'cleared'`);
      else where.add('status', q.status);
      where.add('severity', q.severity);
      where.add('device', q.device);
      where.add('type', q.type);
      where.add('rule', q.rule);
      return seqPage(pool, 'alarms', where, q, toAlarm);
    },
    async counts(tenant, device) {
      const { rows } = await pool.query<CountRow>(
        device === undefined ? SQL.counts([tenant]) : SQL.deviceCounts([tenant, device]),
      );
      const { total, bySeverity, byStatus } = tallyCounts(rows);
      const devices =
        device === undefined
          ? ((await pool.query<{ n: number }>(SQL.alarming([tenant]))).rows[0]?.n ?? 0)
          : total > 0
            ? 1
            : 0;
      return { total, devices, bySeverity, byStatus };
    },
    async delete(tenant, device) {
      await inTransaction(pool, async (c) => {
        if (device === undefined) {
          await c.query(SQL.deleteTenantComments([tenant]));
          await c.query(SQL.deleteTenant([tenant]));
        } else {
          await c.query(SQL.deleteDeviceComments([tenant, device]));
          await c.query(SQL.deleteDevice([tenant, device]));
        }
      });
    },
  };
}
