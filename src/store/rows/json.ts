/** An optional JSON column: absent values are stored as NULL. */
export const jsonOrNull = (v: unknown) => (v === undefined ? null : JSON.stringify(v));
