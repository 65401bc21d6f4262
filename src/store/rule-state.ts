/** One rule's state for one device, as the engine persists it. */
export interface RuleStateRow {
  readonly tenant: string;
  readonly rule: string;
  /** The rule version the state belongs to: a new version starts fresh. */
  readonly version: number;
  readonly device: string;
  /** The condition's state (JSON). */
  readonly state: unknown;
  readonly firing: boolean;
  readonly lastActionAt: number | null;
}

/**
 * The rule engine's per-device state (ARCHITECTURE §2): written in
 * snapshots (what changed since the last one) and read once at start, so
 * windows, durations and firing flags survive a restart.
 */
export interface RuleStateStore {
  loadAll(): Promise<RuleStateRow[]>;
  saveMany(rows: readonly RuleStateRow[]): Promise<void>;
  /** A rule's state for every device (rule deleted or changed), or one device's for every rule. */
  delete(tenant: string, filter: { rule?: string; device?: string }): Promise<void>;
}
