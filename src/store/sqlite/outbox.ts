import type { OutboxItem, OutboxStore } from '../outbox.js';
import { type OutboxRow, outboxValues, toOutboxItem } from '../rows/outbox.js';
import { type SqliteDb, statementCache } from './database.js';

export function createSqliteOutboxStore(db: SqliteDb): OutboxStore {
  const prepare = statementCache(db);
  const addTx = db.transaction((items: readonly OutboxItem[]) => {
    const insert = prepare(
      `INSERT INTO outbox (id, tenant, rule, device, kind, action, status, attempts, created_at, next_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const i of items) insert.run(...outboxValues(i));
  });
  return {
    async add(items) {
      addTx(items);
    },
    async due(now, limit) {
      return (
        prepare(
          `SELECT * FROM outbox WHERE status = 'pending' AND next_at <= ? ORDER BY next_at, seq LIMIT ?`,
        ).all(now, limit) as OutboxRow[]
      ).map(toOutboxItem);
    },
    async done(id, at) {
      prepare(
        `UPDATE outbox SET status = 'done', done_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?`,
      ).run(at, id);
    },
    async failed(id, error, nextAt) {
      if (nextAt === undefined)
        prepare(
          `UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?`,
        ).run(error, id);
      else
        prepare('UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_at = ? WHERE id = ?').run(
          error,
          nextAt,
          id,
        );
    },
    async list(tenant, q) {
      const where = ['tenant = ?'];
      const args: unknown[] = [tenant];
      if (q.status !== undefined) {
        where.push('status = ?');
        args.push(q.status);
      }
      if (q.rule !== undefined) {
        where.push('rule = ?');
        args.push(q.rule);
      }
      return (
        prepare(`SELECT * FROM outbox WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`).all(
          ...args,
          q.limit,
        ) as OutboxRow[]
      ).map(toOutboxItem);
    },
    async lastQueued(tenant, rule, device) {
      const r = prepare(
        'SELECT max(created_at) AS at FROM outbox WHERE tenant = ? AND rule = ? AND device = ?',
      ).get(tenant, rule, device) as { at: number | null };
      return r.at ?? undefined;
    },
  };
}
