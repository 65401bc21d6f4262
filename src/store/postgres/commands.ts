import type { Command, CommandStatus } from '../../commands/model.js';
import type { CommandStore } from '../commands.js';
import { toPage } from '../page.js';
import { inTransaction, type PgPool } from './database.js';
import { seqBelow } from './seq-cursor.js';
import { statement } from './statement.js';

interface Row {
  seq: number;
  id: string;
  tenant: string;
  device: string;
  name: string;
  params: string;
  one_way: number;
  status: CommandStatus;
  created_at: number;
  expires_at: number;
  timeout_ms: number;
  sent_at: number | null;
  delivered_at: number | null;
  completed_at: number | null;
  result: string | null;
  error: string | null;
  actor: string;
  batch: string | null;
}

function toCommand(r: Row): Command {
  return {
    id: r.id,
    tenant: r.tenant,
    device: r.device,
    name: r.name,
    params: JSON.parse(r.params),
    oneWay: r.one_way === 1,
    status: r.status,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    timeoutMs: r.timeout_ms,
    ...(r.sent_at === null ? {} : { sentAt: r.sent_at }),
    ...(r.delivered_at === null ? {} : { deliveredAt: r.delivered_at }),
    ...(r.completed_at === null ? {} : { completedAt: r.completed_at }),
    ...(r.result === null ? {} : { result: JSON.parse(r.result) }),
    ...(r.error === null ? {} : { error: JSON.parse(r.error) }),
    actor: r.actor,
    ...(r.batch === null ? {} : { batch: r.batch }),
  };
}

const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));

/** Column arrays of `commands`, in the order the INSERT below takes them. */
function columns(commands: readonly Command[]): unknown[][] {
  return [
    commands.map((c) => c.id),
    commands.map((c) => c.tenant),
    commands.map((c) => c.device),
    commands.map((c) => c.name),
    commands.map((c) => JSON.stringify(c.params)),
    commands.map((c) => (c.oneWay ? 1 : 0)),
    commands.map((c) => c.status),
    commands.map((c) => c.createdAt),
    commands.map((c) => c.expiresAt),
    commands.map((c) => c.timeoutMs),
    commands.map((c) => c.actor),
    commands.map((c) => c.batch ?? null),
  ];
}

const SQL = {
  insertBatch: statement(
    `INSERT INTO command_batches (id, tenant, name, target, total, created_at, actor)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
  ),
  // One statement for a whole group send; ORDER BY n gives seq in the order given (delivery order).
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

interface BatchRow {
  id: string;
  tenant: string;
  name: string;
  target: string;
  total: number;
  created_at: number;
  actor: string;
}

export function createPgCommandStore(pool: PgPool): CommandStore {
  return {
    async insert(commands, batch) {
      await inTransaction(pool, async (c) => {
        if (batch) {
          await c.query(
            SQL.insertBatch([
              batch.id,
              batch.tenant,
              batch.name,
              JSON.stringify(batch.target),
              batch.total,
              batch.createdAt,
              batch.actor,
            ]),
          );
        }
        if (commands.length > 0) await c.query(SQL.insert(columns(commands)));
      });
    },
    async get(tenant, id) {
      const r = (await pool.query<Row>(SQL.get([tenant, id]))).rows[0];
      return r && toCommand(r);
    },
    async list(tenant, q) {
      const where = ['tenant = $1'];
      const args: unknown[] = [tenant];
      const eq = (column: string, v: string | undefined) => {
        if (v === undefined) return;
        args.push(v);
        where.push(`${column} = $${args.length}`);
      };
      eq('device', q.device);
      eq('status', q.status);
      eq('batch', q.batch);
      if (q.after !== undefined) {
        const below = seqBelow(q.after);
        if (below === undefined) return { items: [] };
        args.push(below);
        where.push(`seq < $${args.length}`);
      }
      args.push(q.limit + 1);
      const { rows } = await pool.query<Row>(
        `SELECT * FROM commands WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT $${args.length}`,
        args,
      );
      const page = toPage(rows, q.limit, (r) => String(r.seq));
      return { ...page, items: page.items.map(toCommand) };
    },
    async queued(tenant, device, limit) {
      return (await pool.query<Row>(SQL.queued([tenant, device, limit]))).rows.map(toCommand);
    },
    async transition(tenant, id, from, to, fields = {}) {
      const r = (
        await pool.query<Row>(
          SQL.transition([
            to,
            fields.sentAt ?? null,
            fields.deliveredAt ?? null,
            fields.completedAt ?? null,
            json(fields.result),
            json(fields.error),
            tenant,
            id,
            from,
          ]),
        )
      ).rows[0];
      return r && toCommand(r);
    },
    async sweep(now) {
      return inTransaction(pool, async (c) => {
        const expired = await c.query<Row>(
          SQL.expire([now, JSON.stringify('not delivered within its time-to-live')]),
        );
        const timedOut = await c.query<Row>(
          SQL.timeOut([now, JSON.stringify('no answer within its timeout')]),
        );
        return [...expired.rows, ...timedOut.rows].map(toCommand);
      });
    },
    async getBatch(tenant, id) {
      const r = (await pool.query<BatchRow>(SQL.getBatch([tenant, id]))).rows[0];
      return (
        r && {
          id: r.id,
          tenant: r.tenant,
          name: r.name,
          target: JSON.parse(r.target),
          total: r.total,
          createdAt: r.created_at,
          actor: r.actor,
        }
      );
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
