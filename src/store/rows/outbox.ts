import type { OutboxItem } from '../outbox.js';

/** Outbox rows ↔ items, shared by the SQLite and PostgreSQL stores (same columns). */
export interface OutboxRow {
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

// Absent optional fields are left out rather than set to undefined.
export const toOutboxItem = (r: OutboxRow): OutboxItem => ({
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

/** The columns a new item is inserted with, in the INSERT's order. */
export const outboxValues = (i: OutboxItem) =>
  [
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
  ] as const;
