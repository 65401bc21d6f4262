import type { OutboxStore } from '../outbox.js';
import { type OutboxRow, outboxValues, toOutboxItem } from '../rows/outbox.js';
import type { PgPool } from './database.js';
import { statement } from './statement.js';
import { columnsOf } from './unnest.js';
import { Where } from './where.js';

const SQL = {
  // One statement however many items (columns as in outboxValues); ORDER BY n keeps their order
  // in seq (due() ties break on it).
  add: statement(
    `INSERT INTO outbox (id, tenant, rule, device, kind, action, status, attempts, created_at, next_at)
     SELECT id, tenant, rule, device, kind, action, status, attempts, created_at, next_at
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
       $8::bigint[], $9::bigint[], $10::bigint[])
       WITH ORDINALITY AS x(id, tenant, rule, device, kind, action, status, attempts, created_at, next_at, n)
     ORDER BY n`,
  ),
  due: statement(
    `SELECT * FROM outbox WHERE status = 'pending' AND next_at <= $1 ORDER BY next_at, seq LIMIT $2`,
  ),
  done: statement(
    `UPDATE outbox SET status = 'done', done_at = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2`,
  ),
  retry: statement('UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_at = $2 WHERE id = $3'),
  fail: statement(
    `UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = $1 WHERE id = $2`,
  ),
  lastQueued: statement(
    'SELECT max(created_at) AS at FROM outbox WHERE tenant = $1 AND rule = $2 AND device = $3',
  ),
};

/**
 * due() is a plain read, as on SQLite. FOR UPDATE SKIP LOCKED alone would
 * not keep two polling nodes apart: the row locks end with the statement,
 * before the attempt starts. What would is a claim (next_at moved ahead by
 * a lease in the same statement), but the action service asks for more
 * items than it starts (CONCURRENCY + active, skipping its own in-flight
 * ones), so claimed-but-unstarted items would sit out the lease. Until the
 * interface gains a `claim(now, limit, leaseMs)` that the service calls
 * for exactly what it starts, one node runs the outbox worker; a second
 * poller would repeat attempts (delivery is at least once, receivers can
 * drop repeats by X-Plexus-Delivery), never lose or corrupt an item.
 */
export function createPgOutboxStore(pool: PgPool): OutboxStore {
  /** due() answers on their way to the caller. */
  const reads = new Set<Promise<unknown>>();
  /**
   * done() and failed() resolve only after every due() answer still in
   * flight has reached its caller. The action service forgets an item it
   * ran once done()/failed() resolves, and skips the items it runs in
   * each answer; an answer read before the write committed but delivered
   * after it would start the item again (seen: a webhook sent twice).
   * SQLite, being synchronous, gives this order by itself.
   */
  async function afterReads(): Promise<void> {
    if (reads.size === 0) return;
    await Promise.allSettled([...reads]);
    // The caller's continuation (filter, start) runs in microtasks after the answer: let them finish.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return {
    async add(items) {
      if (items.length === 0) return;
      await pool.query(SQL.add(columnsOf(items, outboxValues)));
    },
    due(now, limit) {
      const answer = pool.query<OutboxRow>(SQL.due([now, limit])).then((r) => r.rows.map(toOutboxItem));
      const forget = () => void reads.delete(answer);
      reads.add(answer);
      answer.then(forget, forget);
      return answer;
    },
    async done(id, at) {
      await pool.query(SQL.done([at, id]));
      await afterReads();
    },
    async failed(id, error, nextAt) {
      await pool.query(nextAt === undefined ? SQL.fail([error, id]) : SQL.retry([error, nextAt, id]));
      await afterReads();
    },
    async list(tenant, q) {
      const where = new Where(tenant);
      where.add('status', q.status);
      where.add('rule', q.rule);
      const limit = where.param(q.limit);
      const { rows } = await pool.query<OutboxRow>(
        `SELECT * FROM outbox WHERE ${where} ORDER BY seq DESC LIMIT ${limit}`,
        where.args,
      );
      return rows.map(toOutboxItem);
    },
    async lastQueued(tenant, rule, device) {
      return (
        (await pool.query<{ at: number | null }>(SQL.lastQueued([tenant, rule, device]))).rows[0]?.at ??
        undefined
      );
    },
  };
}
