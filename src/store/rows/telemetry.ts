import type { LatestValue, Scalar, StoredEvent } from '../telemetry.js';

/** Telemetry rows ↔ values, shared by the SQLite and PostgreSQL stores (same columns). */
export interface ValueRow {
  ts: number;
  kind: number;
  num: number | null;
  txt: string | null;
}

export type LatestRow = ValueRow & { key: string };

export interface EventRow {
  id: number;
  ts: number;
  type: string;
  data: string;
}

/** A value by its kind: 0 number, 1 boolean (num 0/1), else text. */
export function scalarOf(r: ValueRow): Scalar {
  if (r.kind === 0) return r.num as number;
  if (r.kind === 1) return r.num === 1;
  return r.txt as string;
}

export const toPoint = (r: ValueRow) => ({ ts: r.ts, value: scalarOf(r) });

/** Each key's latest value, from `telemetry_latest` joined to its series. */
export function toLatest(rows: readonly LatestRow[]): Record<string, LatestValue> {
  const out: Record<string, LatestValue> = {};
  for (const r of rows) out[r.key] = toPoint(r);
  return out;
}

export const toEvent = (r: EventRow): StoredEvent => ({
  id: r.id,
  ts: r.ts,
  type: r.type,
  data: JSON.parse(r.data),
});
