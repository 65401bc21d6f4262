import type { CommandStatus } from '../../commands/model.js';
import type { CommandStore } from '../commands.js';
import {
  type BatchRow,
  batchValues,
  type CommandRow,
  commandValues,
  toBatch,
  toCommand,
  transitionValues,
} from '../rows/commands.js';
import { inTransaction, type PgPool } from './database.js';
import { seqPage } from './seq-cursor.js';
import { statement } from './statement.js';
import { columnsOf } from './unnest.js';
import { Where } from './where.js';

const SQL = {
  insertBatch: statement(
    `INSERT INTO command_batches (id, tenant, name, target, total, created_at, actor)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
  ),
  // One statement for a whole group send (columns as in commandValues); ORDER BY n gives seq
  // in the order given (delivery order).
  insert: statement(
    `INSERT INTO commands (id, tenant, device, name, params, one_way, status, created_at, expires_at,
       timeout_ms, actor, batch)
     SELECT id, tenant, device, name, params, one_way, status, created_at, expires_at, timeout_ms, actor, batch
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[],
       $8::bigint[], $9::bigint[], $10::bigint[], $11::text[], $12::text[])
       WITH ORDINALITY AS x(id, tenant, device, name, params, one_way, status, created_at, expires_at,
         timeout_ms, actor, batch, n)
     ORDER BY n`,
  ),
  get: statement('SELECT * FROM commands WHERE tenant = $1 AND id = $2'),
  queued: statement(
    `SELECT * FROM commands WHERE tenant = $1 AND device = $2 AND status = 'queued' ORDER BY seq LIMIT $3`,
  ),
  // One statement: a concurrent transition waits for this row and then re-checks its status.
  transition: statement(
    `UPDATE commands SET status = $1,
       sent_at = coalesce($2, sent_at), delivered_at = coalesce($3, delivered_at),
       completed_at = coalesce($4, completed_at), result = coalesce($5, result), error = coalesce($6, error)
     WHERE tenant = $7 AND id = $8 AND status = ANY($9::text[]) RETURNING *`,
  ),
  // Each UPDATE re-checks status on rows others changed meanwhile: two nodes sweeping at once
  // report every change once, from whichever made it.
  expire: statement(
    `UPDATE commands SET status = 'expired', completed_at = $1, error = $2
     WHERE status = 'queued' AND expires_at <= $1 RETURNING *`,
  ),
  timeOut: statement(
    `UPDATE commands SET status = 'timed_out', completed_at = $1, error = $2
     WHERE status IN ('sent', 'delivered') AND NOT (one_way = 1 AND status = 'delivered')
       AND sent_at + timeout_ms <= $1 RETURNING *`,
  ),
  getBatch: statement('SELECT * FROM command_batches WHERE tenant = $1 AND id = $2'),
  batchCounts: statement(
    'SELECT status, count(*) AS n FROM commands WHERE tenant = $1 AND batch = $2 GROUP BY status',
  ),
  deleteDevice: statement('DELETE FROM commands WHERE tenant = $1 AND device = $2'),
  deleteTenant: statement('DELETE FROM commands WHERE tenant = $1'),
  deleteTenantBatches: statement('DELETE FROM command_batches WHERE tenant = $1'),
};

export function createPgCommandStore(pool: PgPool): CommandStore {
  return {
    async insert(commands, batch) {
      await inTransaction(pool, async (c) => {
        if (batch) {
          await c.query(SQL.insertBatch(batchValues(batch)));
        }
        if (commands.length > 0) await c.query(SQL.insert(columnsOf(commands, commandValues)));
      });
    },
    async get(tenant, id) {
      const r = (await pool.query<CommandRow>(SQL.get([tenant, id]))).rows[0];
      return r && toCommand(r);
    },
    async list(tenant, q) {
      const where = new Where(tenant);
      where.add('device', q.device);
      where.add('status', q.status);
      where.add('batch', q.batch);
      return seqPage(pool, 'commands', where, q, toCommand);
    },
    async queued(tenant, device, limit) {
      return (await pool.query<CommandRow>(SQL.queued([tenant, device, limit]))).rows.map(toCommand);
    },
    async transition(tenant, id, from, to, fields = {}) {
      const r = (
        await pool.query<CommandRow>(SQL.transition([...transitionValues(to, fields), tenant, id, from]))
      ).rows[0];
      return r && toCommand(r);
    },
    async sweep(now) {
      return inTransaction(pool, async (c) => {
        const expired = await c.query<CommandRow>(
          SQL.expire([now, JSON.stringify('not delivered within its time-to-live')]),
        );
        const timedOut = await c.query<CommandRow>(
          SQL.timeOut([now, JSON.stringify('no answer within its timeout')]),
        );
        return [...expired.rows, ...timedOut.rows].map(toCommand);
      });
    },
    async getBatch(tenant, id) {
      const r = (await pool.query<BatchRow>(SQL.getBatch([tenant, id]))).rows[0];
      return r && toBatch(r);
    },
    async batchCounts(tenant, id) {
      const { rows } = await pool.query<{ status: CommandStatus; n: number }>(SQL.batchCounts([tenant, id]));
      return Object.fromEntries(rows.map((r) => [r.status, r.n]));
    },
    async delete(tenant, device) {
      if (device !== undefined) {
        await pool.query(SQL.deleteDevice([tenant, device]));
        return;
      }
      await inTransaction(pool, async (c) => {
        await c.query(SQL.deleteTenant([tenant]));
        await c.query(SQL.deleteTenantBatches([tenant]));
      });
    },
  };
}
