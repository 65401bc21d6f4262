/** One entry of the audit trail: who did what to which object, and how it ended. */
export interface AuditRecord {
  readonly seq: number;
  readonly ts: string;
  readonly tenant: string;
  /** `user:alice`, `apikey:key-1a2b`, `anonymous`, `system`. */
  readonly actor: string;
  /** Dotted verb, e.g. `device.create`, `auth.login`. */
  readonly action: string;
  /** Object kind and id, e.g. `device` / `press-7`. */
  readonly resource: string;
  readonly resourceId: string | null;
  /** HTTP status of the attempt: failures are recorded too. */
  readonly status: number;
  readonly ip: string | null;
  readonly details: Readonly<Record<string, unknown>> | null;
}

export interface AuditQuery {
  readonly limit: number;
  /** Sequence number to continue below (newest first). */
  readonly after?: string | undefined;
  readonly action?: string | undefined;
  readonly actor?: string | undefined;
  readonly resource?: string | undefined;
  readonly resourceId?: string | undefined;
  /** ISO time, inclusive. */
  readonly from?: string | undefined;
  /** ISO time, exclusive: `from`..`to` ranges tile without overlap. */
  readonly to?: string | undefined;
}

/** Keys whose values never enter the audit log. */
const SECRET_KEYS = /^(password|secret|token|key|apikey|apiKey)$/i;

/** Copies a request body for the audit log with secrets replaced. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = SECRET_KEYS.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}
