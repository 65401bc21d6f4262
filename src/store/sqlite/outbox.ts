import type { OutboxItem, OutboxStore } from '../outbox.js';
import { type SqliteDb, statementCache } from './database.js';

interface Row {
  id: string;
  tenant: string;
  rule: string;
  device: string;
  kind: string;
  action: string;
  status: OutboxItem['status'];
  attempts: number;
  created_at: number;
  next_at: number;
  done_at: number | null;
  last_error: string | null;
}

const toItem = (r: Row): OutboxItem => ({
  id: r.id,
  tenant: r.tenant,
  rule: r.rule,
  device: r.device,
  kind: r.kind,
  action: JSON.parse(r.action),
  status: r.status,
  attempts: r.attempts,
  createdAt: r.created_at,
  nextAt: r.next_at,
  ...(r.done_at === null ? {} : { doneAt: r.done_at }),
  ...(r.last_error === null ? {} : { lastError: r.last_error }),
});

export function createSqliteOutboxStore(db: SqliteDb): OutboxStore {
  const prepare = statementCache(db);
  const addTx = db.transaction((items: readonly OutboxItem[]) => {
    const insert = prepare(
      `INSERT INTO outbox (id, tenant, rule, device, kind, action, status, attempts, created_at, next_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const i of items) {
      insert.run(
        i.id,
        i.tenant,
        i.rule,
        i.device,
        i.kind,
        JSON.stringify(i.action),
        i.status,
        i.attempts,
        i.createdAt,
        i.nextAt,
      );
    }
  });
  return {
    async add(items) {
      addTx(items);
    },
    async due(now, limit) {
      return (
        prepare(
          `SELECT * FROM outbox WHERE status = 'pending' AND next_at <= ? ORDER BY next_at, seq LIMIT ?`,
        ).all(now, limit) as Row[]
      ).map(toItem);
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
        ) as Row[]
      ).map(toItem);
    },
    async lastQueued(tenant, rule, device) {
      const r = prepare(
        'SELECT max(created_at) AS at FROM outbox WHERE tenant = ? AND rule = ? AND device = ?',
      ).get(tenant, rule, device) as { at: number | null };
      return r.at ?? undefined;
    },
  };
}
