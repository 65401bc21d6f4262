/**
 * Commands as pure data (ARCHITECTURE §6.1): `{name, params}` for one
 * device, with a time-to-live for delivery and a timeout for the answer.
 *
 *   queued ──► sent ──► delivered ──► succeeded | failed
 *     │          │          └───────► timed_out (no answer within `timeout` of sending)
 *     │          └──────────────────► timed_out
 *     └─► expired (not sent within `ttl`)      any unfinished ──► cancelled
 *
 * A one-way command expects no answer: it is finished once delivered.
 */
export type CommandStatus =
  | 'queued'
  | 'sent'
  | 'delivered'
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'expired'
  | 'cancelled';

export const COMMAND_STATUSES: readonly CommandStatus[] = [
  'queued',
  'sent',
  'delivered',
  'succeeded',
  'failed',
  'timed_out',
  'expired',
  'cancelled',
];

export const OPEN_STATUSES: readonly CommandStatus[] = ['queued', 'sent', 'delivered'];

export interface Command {
  readonly id: string;
  readonly tenant: string;
  readonly device: string;
  readonly name: string;
  readonly params: Record<string, unknown>;
  readonly oneWay: boolean;
  readonly status: CommandStatus;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Not sent by then: expired. */
  readonly expiresAt: number;
  /** Sent and not answered within this many ms: timed out. */
  readonly timeoutMs: number;
  readonly sentAt?: number;
  readonly deliveredAt?: number;
  readonly completedAt?: number;
  /** The device's answer (`result` of `{"ok": true, "result": …}`). */
  readonly result?: unknown;
  /** Why it failed: the device's `error`, or the platform's reason. */
  readonly error?: unknown;
  /** Who sent it: `user:alice`, `apikey:…`, later `rule:…`. */
  readonly actor: string;
  /** The group send it belongs to. */
  readonly batch?: string;
}

export const isOpen = (s: CommandStatus) => s === 'queued' || s === 'sent' || s === 'delivered';

/** What the device receives on `devices/{id}/commands/{cmdId}` and from the HTTP poll. */
export function commandDoc(c: Command): { id: string; name: string; params: Record<string, unknown> } {
  return { id: c.id, name: c.name, params: c.params };
}

/** A device's answer: `{"ok": true, "result"?: …}` or `{"ok": false, "error"?: …}`; anything else is refused. */
export function parseResult(
  doc: unknown,
): { ok: true; result: unknown } | { ok: false; error: unknown } | { problem: string } {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return { problem: 'a command result is a JSON object {"ok": true|false, ...}' };
  }
  const d = doc as Record<string, unknown>;
  if (d.ok === true) return { ok: true, result: d.result ?? null };
  if (d.ok === false) return { ok: false, error: d.error ?? null };
  return { problem: 'a command result needs "ok": true or false' };
}

export { parseDuration } from '../core/duration.js';
