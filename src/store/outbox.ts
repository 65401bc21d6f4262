/** One action waiting to be carried out (or done, or failed for good). */
export interface OutboxItem {
  readonly id: string;
  readonly tenant: string;
  readonly rule: string;
  readonly device: string;
  /** webhook, command, twin, … */
  readonly kind: string;
  /** The action with its templates filled in. */
  readonly action: Record<string, unknown>;
  readonly status: 'pending' | 'done' | 'failed';
  readonly attempts: number;
  readonly createdAt: number;
  readonly nextAt: number;
  readonly doneAt?: number;
  readonly lastError?: string;
}

/**
 * The durable outbox (ARCHITECTURE §1.3): a rule's actions are stored
 * before anything is attempted, so a crash or a dead endpoint loses
 * nothing; each attempt's outcome is written back.
 */
export interface OutboxStore {
  add(items: readonly OutboxItem[]): Promise<void>;
  /** Pending items due by `now`, oldest first. */
  due(now: number, limit: number): Promise<OutboxItem[]>;
  done(id: string, at: number): Promise<void>;
  /** A failed attempt: retried at `nextAt`, or failed for good when `nextAt` is undefined. */
  failed(id: string, error: string, nextAt: number | undefined): Promise<void>;
  /** Newest first, for operators. */
  list(tenant: string, q: { status?: string; rule?: string; limit: number }): Promise<OutboxItem[]>;
  /** When the rule last queued actions for the device (throttling). */
  lastQueued(tenant: string, rule: string, device: string): Promise<number | undefined>;
}
