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
