import type { Command, CommandStatus } from '../../commands/model.js';
import type { CommandBatch, CommandStore } from '../commands.js';
import { toPage } from '../page.js';
import {
  type BatchRow,
  batchValues,
  type CommandRow,
  commandValues,
  toBatch,
  toCommand,
  transitionValues,
} from '../rows/commands.js';
import { type SqliteDb, statementCache } from './database.js';

export function createSqliteCommandStore(db: SqliteDb): CommandStore {
  const prepare = statementCache(db);
  const insertTx = db.transaction((commands: readonly Command[], batch: CommandBatch | undefined) => {
    if (batch) {
      prepare(
        'INSERT INTO command_batches (id, tenant, name, target, total, created_at, actor) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(...batchValues(batch));
    }
    const insert = prepare(
      `INSERT INTO commands (id, tenant, device, name, params, one_way, status, created_at, expires_at, timeout_ms, actor, batch)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const c of commands) insert.run(...commandValues(c));
  });
  const sweepTx = db.transaction((now: number): Command[] => {
    const expired = prepare(
      `UPDATE commands SET status = 'expired', completed_at = ?, error = ?
       WHERE status = 'queued' AND expires_at <= ? RETURNING *`,
    ).all(now, JSON.stringify('not delivered within its time-to-live'), now) as CommandRow[];
    const timedOut = prepare(
      `UPDATE commands SET status = 'timed_out', completed_at = ?, error = ?
       WHERE status IN ('sent', 'delivered') AND NOT (one_way = 1 AND status = 'delivered')
         AND sent_at + timeout_ms <= ? RETURNING *`,
    ).all(now, JSON.stringify('no answer within its timeout'), now) as CommandRow[];
    return [...expired, ...timedOut].map(toCommand);
  });
  return {
    async insert(commands, batch) {
      insertTx(commands, batch);
    },
    async get(tenant, id) {
      const r = prepare('SELECT * FROM commands WHERE tenant = ? AND id = ?').get(tenant, id) as
        | CommandRow
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
      ).all(...args, q.limit + 1) as CommandRow[];
      const page = toPage(rows, q.limit, (r) => String(r.seq));
      return { ...page, items: page.items.map(toCommand) };
    },
    async queued(tenant, device, limit) {
      return (
        prepare(
          `SELECT * FROM commands WHERE tenant = ? AND device = ? AND status = 'queued' ORDER BY seq LIMIT ?`,
        ).all(tenant, device, limit) as CommandRow[]
      ).map(toCommand);
    },
    async transition(tenant, id, from, to, fields = {}) {
      const r = prepare(
        `UPDATE commands SET status = ?,
           sent_at = coalesce(?, sent_at), delivered_at = coalesce(?, delivered_at),
           completed_at = coalesce(?, completed_at), result = coalesce(?, result), error = coalesce(?, error)
         WHERE tenant = ? AND id = ? AND status IN (${from.map(() => '?').join(',')}) RETURNING *`,
      ).get(...transitionValues(to, fields), tenant, id, ...from) as CommandRow | undefined;
      return r && toCommand(r);
    },
    async sweep(now) {
      return sweepTx(now);
    },
    async getBatch(tenant, id) {
      const r = prepare('SELECT * FROM command_batches WHERE tenant = ? AND id = ?').get(tenant, id) as
        | BatchRow
        | undefined;
      return r && toBatch(r);
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
