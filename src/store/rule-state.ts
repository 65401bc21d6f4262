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

/** One rule's state within a device's saved states. */
export type SavedRuleState = Omit<RuleStateRow, 'tenant' | 'device' | 'rule'>;

/** Every rule's state for one device: the unit a snapshot writes. */
export interface DeviceRuleStates {
  readonly tenant: string;
  readonly device: string;
  /** Rule name → state. Rules not named here have no saved state for the device any more. */
  readonly rules: Readonly<Record<string, SavedRuleState>>;
}

/**
 * The rule engine's per-device state (ARCHITECTURE §2): written in
 * snapshots and read once at start, so windows, durations and firing flags
 * survive a restart. A snapshot writes one record per device that changed,
 * holding all of that device's rule states: a fleet of 10,000 devices under
 * 1,000 rules is 10,000 writes per snapshot, not 160,000.
 */
export interface RuleStateStore {
  loadAll(): Promise<RuleStateRow[]>;
  /** Replaces each device's saved states with the ones given. */
  saveDevices(devices: readonly DeviceRuleStates[]): Promise<void>;
  /** A rule's state for every device (rule deleted or changed), or one device's for every rule. */
  delete(tenant: string, filter: { rule?: string; device?: string }): Promise<void>;
}
