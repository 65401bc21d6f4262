import type { Command, CommandStatus } from '../../commands/model.js';
import type { CommandBatch, CommandStore } from '../commands.js';
import { jsonOrNull } from './json.js';

/** Command rows ↔ model, shared by the SQLite and PostgreSQL stores (same columns). */
export interface CommandRow {
  seq: number;
  id: string;
  tenant: string;
  device: string;
  name: string;
  params: string;
  one_way: number;
  status: CommandStatus;
  created_at: number;
  expires_at: number;
  timeout_ms: number;
  sent_at: number | null;
  delivered_at: number | null;
  completed_at: number | null;
  result: string | null;
  error: string | null;
  actor: string;
  batch: string | null;
}

export interface BatchRow {
  id: string;
  tenant: string;
  name: string;
  target: string;
  total: number;
  created_at: number;
  actor: string;
}

// Absent optional fields are left out rather than set to undefined.
export const toCommand = (r: CommandRow): Command => ({
  id: r.id,
  tenant: r.tenant,
  device: r.device,
  name: r.name,
  params: JSON.parse(r.params),
  oneWay: r.one_way === 1,
  status: r.status,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  timeoutMs: r.timeout_ms,
  ...(r.sent_at === null ? {} : { sentAt: r.sent_at }),
  ...(r.delivered_at === null ? {} : { deliveredAt: r.delivered_at }),
  ...(r.completed_at === null ? {} : { completedAt: r.completed_at }),
  ...(r.result === null ? {} : { result: JSON.parse(r.result) }),
  ...(r.error === null ? {} : { error: JSON.parse(r.error) }),
  actor: r.actor,
  ...(r.batch === null ? {} : { batch: r.batch }),
});

/** The columns a new command is inserted with, in the INSERT's order. */
export const commandValues = (c: Command) =>
  [
    c.id,
    c.tenant,
    c.device,
    c.name,
    JSON.stringify(c.params),
    c.oneWay ? 1 : 0,
    c.status,
    c.createdAt,
    c.expiresAt,
    c.timeoutMs,
    c.actor,
    c.batch ?? null,
  ] as const;

/** The status and the fields a transition sets (NULL keeps the stored value), in the UPDATE's order. */
export const transitionValues = (to: CommandStatus, fields: Parameters<CommandStore['transition']>[4] = {}) =>
  [
    to,
    fields.sentAt ?? null,
    fields.deliveredAt ?? null,
    fields.completedAt ?? null,
    jsonOrNull(fields.result),
    jsonOrNull(fields.error),
  ] as const;

/** The columns of `command_batches`, in table order. */
export const batchValues = (b: CommandBatch) =>
  [b.id, b.tenant, b.name, JSON.stringify(b.target), b.total, b.createdAt, b.actor] as const;

export const toBatch = (r: BatchRow): CommandBatch => ({
  id: r.id,
  tenant: r.tenant,
  name: r.name,
  target: JSON.parse(r.target),
  total: r.total,
  createdAt: r.created_at,
  actor: r.actor,
});
