import type { Command, CommandStatus } from '../../commands/model.js';
import type { CommandBatch, CommandStore } from '../commands.js';
import { toPage } from '../page.js';
import { type SqliteDb, statementCache } from './database.js';

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

export function createSqliteCommandStore(db: SqliteDb): CommandStore {
  const prepare = statementCache(db);
  const insertTx = db.transaction((commands: readonly Command[], batch: CommandBatch | undefined) => {
    if (batch) {
      prepare(
        'INSERT INTO command_batches (id, tenant, name, target, total, created_at, actor) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(
        batch.id,
        batch.tenant,
        batch.name,
        JSON.stringify(batch.target),
        batch.total,
        batch.createdAt,
        batch.actor,
      );
    }
    const insert = prepare(
      `INSERT INTO commands (id, tenant, device, name, params, one_way, status, created_at, expires_at, timeout_ms, actor, batch)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const c of commands) {
      insert.run(
        c.id,
        c.tenant,
        c.device,
        c.name,
        JSON.stringify(c.params),
        c.oneWay ? 1 : 0,
        c.status,
        c.createdAt,
        c.expiresAt,
        c.timeoutMs,
        c.actor,
        c.batch ?? null,
      );
    }
  });
  const sweepTx = db.transaction((now: number): Command[] => {
    const expired = prepare(
      `UPDATE commands SET status = 'expired', completed_at = ?, error = ?
       WHERE status = 'queued' AND expires_at <= ? RETURNING *`,
    ).all(now, JSON.stringify('not delivered within its time-to-live'), now) as Row[];
    const timedOut = prepare(
      `UPDATE commands SET status = 'timed_out', completed_at = ?, error = ?
       WHERE status IN ('sent', 'delivered') AND NOT (one_way = 1 AND status = 'delivered')
         AND sent_at + timeout_ms <= ? RETURNING *`,
    ).all(now, JSON.stringify('no answer within its timeout'), now) as Row[];
    return [...expired, ...timedOut].map(toCommand);
  });
  return {
    async insert(commands, batch) {
      insertTx(commands, batch);
    },
    async get(tenant, id) {
      const r = prepare('SELECT * FROM commands WHERE tenant = ? AND id = ?').get(tenant, id) as
        | Row
        | undefined;
      return r && toCommand(r);
    },
    async list(tenant, q) {
      const where = ['tenant = ?'];
      const args: unknown[] = [tenant];
      if (q.device !== undefined) {
        where.push('device = ?');
        args.push(q.device);
      }
      if (q.status !== undefined) {
        where.push('status = ?');
        args.push(q.status);
      }
      if (q.batch !== undefined) {
        where.push('batch = ?');
        args.push(q.batch);
      }
      if (q.after !== undefined) {
        where.push('seq < ?');
        args.push(Number(q.after));
      }
      const rows = prepare(
        `SELECT * FROM commands WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`,
      ).all(...args, q.limit + 1) as Row[];
      const page = toPage(rows, q.limit, (r) => String(r.seq));
      return { ...page, items: page.items.map(toCommand) };
    },
    async queued(tenant, device, limit) {
      return (
        prepare(
          `SELECT * FROM commands WHERE tenant = ? AND device = ? AND status = 'queued' ORDER BY seq LIMIT ?`,
        ).all(tenant, device, limit) as Row[]
      ).map(toCommand);
    },
    async transition(tenant, id, from, to, fields = {}) {
      const r = prepare(
        `UPDATE commands SET status = ?,
           sent_at = coalesce(?, sent_at), delivered_at = coalesce(?, delivered_at),
           completed_at = coalesce(?, completed_at), result = coalesce(?, result), error = coalesce(?, error)
         WHERE tenant = ? AND id = ? AND status IN (${from.map(() => '?').join(',')}) RETURNING *`,
      ).get(
        to,
        fields.sentAt ?? null,
        fields.deliveredAt ?? null,
        fields.completedAt ?? null,
        json(fields.result),
        json(fields.error),
        tenant,
        id,
        ...from,
      ) as Row | undefined;
      return r && toCommand(r);
    },
    async sweep(now) {
      return sweepTx(now);
    },
    async getBatch(tenant, id) {
      const r = prepare('SELECT * FROM command_batches WHERE tenant = ? AND id = ?').get(tenant, id) as
        | {
            id: string;
            tenant: string;
            name: string;
            target: string;
            total: number;
            created_at: number;
            actor: string;
          }
        | undefined;
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
      const rows = prepare(
        'SELECT status, count(*) AS n FROM commands WHERE tenant = ? AND batch = ? GROUP BY status',
      ).all(tenant, id) as { status: CommandStatus; n: number }[];
      return Object.fromEntries(rows.map((r) => [r.status, r.n]));
    },
    async delete(tenant, device) {
      if (device === undefined) {
        prepare('DELETE FROM commands WHERE tenant = ?').run(tenant);
        prepare('DELETE FROM command_batches WHERE tenant = ?').run(tenant);
      } else prepare('DELETE FROM commands WHERE tenant = ? AND device = ?').run(tenant, device);
    },
  };
}
