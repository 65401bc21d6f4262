import type { RuleStateRow } from '../store/index.js';
import type { Signal } from './conditions/index.js';

/** One rule's state for one device. */
export interface DeviceState {
  state: unknown;
  firing: boolean;
  lastActionAt: number | null;
  /** Changed since the last snapshot. */
  dirty: boolean;
  /** The device's last point this rule read: the value of a firing the clock completes ("for"). */
  last?: Extract<Signal, { kind: 'point' }>;
}

/** The rule a state belongs to, as far as saving it goes. */
interface RuleRef {
  readonly tenant: string;
  readonly name: string;
  readonly version: number;
}

const k2 = (a: string, b: string) => `${a}\u0000${b}`;

/**
 * Every rule's per-device state (tenant and rule → device → state): created
 * on first use, restored from the last snapshot for the same rule version,
 * handed out for snapshots when changed, dropped with its rule, device or
 * tenant.
 */
export class DeviceStates {
  readonly #byRule = new Map<string, Map<string, DeviceState>>();

  /** The state, created from `initial()` (and announced to `created`) on first use. */
  get(r: RuleRef, device: string, initial: () => unknown, created: (s: DeviceState) => void): DeviceState {
    const key = k2(r.tenant, r.name);
    let byDevice = this.#byRule.get(key);
    if (!byDevice) {
      byDevice = new Map();
      this.#byRule.set(key, byDevice);
    }
    let s = byDevice.get(device);
    if (!s) {
      s = { state: initial(), firing: false, lastActionAt: null, dirty: true };
      byDevice.set(device, s);
      created(s);
    }
    return s;
  }

  /** Puts back a saved state; the caller checked it is for the rule's current version. */
  restore(row: RuleStateRow): DeviceState {
    const key = k2(row.tenant, row.rule);
    const byDevice = this.#byRule.get(key) ?? new Map<string, DeviceState>();
    this.#byRule.set(key, byDevice);
    const s: DeviceState = {
      state: row.state,
      firing: row.firing,
      lastActionAt: row.lastActionAt,
      dirty: false,
    };
    byDevice.set(row.device, s);
    return s;
  }

  /** One rule's states, by device. */
  of(tenant: string, rule: string): ReadonlyMap<string, DeviceState> {
    return this.#byRule.get(k2(tenant, rule)) ?? new Map();
  }

  /** The states changed since the last call, as rows to save (rules no longer loaded are skipped). */
  takeDirty(ruleOf: (tenant: string, name: string) => RuleRef | undefined): RuleStateRow[] {
    const rows: RuleStateRow[] = [];
    for (const [key, byDevice] of this.#byRule) {
      const [tenant, name] = key.split('\u0000') as [string, string];
      const r = ruleOf(tenant, name);
      if (!r) continue;
      for (const [device, s] of byDevice) {
        if (!s.dirty) continue;
        s.dirty = false;
        const { state, firing, lastActionAt } = s;
        rows.push({ tenant, rule: name, version: r.version, device, state, firing, lastActionAt });
      }
    }
    return rows;
  }

  dropRule(tenant: string, rule: string): void {
    this.#byRule.delete(k2(tenant, rule));
  }

  /** One device's states in every rule of the tenant, or (no device) the whole tenant's. */
  dropDevice(tenant: string, device?: string): void {
    for (const [key, byDevice] of this.#byRule) {
      if (!key.startsWith(`${tenant}\u0000`)) continue;
      if (device === undefined) this.#byRule.delete(key);
      else byDevice.delete(device);
    }
  }
}
