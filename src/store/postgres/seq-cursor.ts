import type { QueryResultRow } from 'pg';
import { type Page, type PageQuery, toPage } from '../page.js';
import type { PgPool } from './database.js';
import type { Where } from './where.js';

/**
 * The bound of `seq < $n` for a page cursor (`after`) as SQLite applies it
 * to `Number(after)`: a fraction bounds at the next integer, ±Infinity
 * takes everything or nothing, and NaN (a forged cursor) matches nothing.
 * PostgreSQL would refuse those values as bigint parameters; undefined
 * means "no rows".
 */
export function seqBelow(after: string): number | undefined {
  const n = Number(after);
  if (Number.isNaN(n)) return undefined;
  return Math.max(Number.MIN_SAFE_INTEGER, Math.min(Math.ceil(n), Number.MAX_SAFE_INTEGER));
}

/** One page of `table`'s rows matching `where`, newest (highest seq) first. */
export async function seqPage<R extends QueryResultRow & { seq: number }, T>(
  pool: PgPool,
  table: string,
  where: Where,
  q: PageQuery,
  to: (r: R) => T,
): Promise<Page<T>> {
  if (q.after !== undefined) {
    const below = seqBelow(q.after);
    if (below === undefined) return { items: [] };
    where.add('seq', below, '<');
  }
  const limit = where.param(q.limit + 1);
  const { rows } = await pool.query<R>(
    `SELECT * FROM ${table} WHERE ${where} ORDER BY seq DESC LIMIT ${limit}`,
    where.args,
  );
  const page = toPage(rows, q.limit, (r) => String(r.seq));
  return { ...page, items: page.items.map(to) };
}
