/**
 * Items as one array per column: the parameters of an INSERT … SELECT FROM
 * unnest($1::…[], $2::…[], …), one statement however many items. `items`
 * must not be empty (the callers skip the statement then).
 */
export function columnsOf<T>(items: readonly T[], values: (item: T) => readonly unknown[]): unknown[][] {
  const rows = items.map(values);
  return (rows[0] ?? []).map((_, i) => rows.map((r) => r[i]));
}
