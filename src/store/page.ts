/** Keyset pagination shared by every store: `after` is the last key of the previous page. */
export interface PageQuery {
  readonly limit: number;
  readonly after?: string | undefined;
}

export interface Page<T> {
  readonly items: T[];
  /** Key of the last item when more may follow; the API turns it into an opaque cursor. */
  readonly nextAfter?: string;
}

/** Takes `limit + 1` rows to learn whether another page exists. */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => string): Page<T> {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  return { items, nextAfter: keyOf(items[items.length - 1] as T) };
}
