import type { DeviceRuleStates, RuleStateRow, SavedRuleState } from '../store/index.js';
import type { Signal } from './conditions/index.js';

/** One rule's state for one device. */
export interface DeviceState {
  state: unknown;
  firing: boolean;
  lastActionAt: number | null;
  /** Changed since the last snapshot. */
  dirty: boolean;
  /** The wake wheel's second for this state (wake-wheel.ts), when scheduled. */
  wakeSec?: number | undefined;
  /** The device's last point this rule read: the value of a firing the clock completes ("for"). */
  last?: Extract<Signal, { kind: 'point' }>;
}

/** The rule a state belongs to, as far as saving it goes. */
interface RuleRef {
  readonly tenant: string;
  readonly name: string;
  readonly version: number;
}

/** One device's states, by rule name. */
export interface DeviceEntry {
  readonly tenant: string;
  readonly device: string;
  readonly byRule: Map<string, DeviceState>;
}

const k2 = (a: string, b: string) => `${a}\u0000${b}`;

/**
 * Every rule's per-device state (tenant and device → rule → state): created
 * on first use, restored from the last snapshot for the same rule version,
 * handed out per device for snapshots when one of its states changed,
 * dropped with its rule, device or tenant. Kept by device because a
 * snapshot saves a device's states together (store/rule-state.ts).
 */
export class DeviceStates {
  readonly #byDevice = new Map<string, DeviceEntry>();

  #entry(tenant: string, device: string): DeviceEntry {
    const key = k2(tenant, device);
    let e = this.#byDevice.get(key);
    if (!e) {
      e = { tenant, device, byRule: new Map() };
      this.#byDevice.set(key, e);
    }
    return e;
  }

  /** The state, created from `initial()` (and announced to `created`) on first use. */
  get(r: RuleRef, device: string, initial: () => unknown, created: (s: DeviceState) => void): DeviceState {
    const { byRule } = this.#entry(r.tenant, device);
    let s = byRule.get(r.name);
    if (!s) {
      s = { state: initial(), firing: false, lastActionAt: null, dirty: true, wakeSec: undefined };
      byRule.set(r.name, s);
      created(s);
    }
    return s;
  }

  /** Puts back a saved state; the caller checked it is for the rule's current version. */
  restore(row: RuleStateRow): DeviceState {
    const s: DeviceState = {
      state: row.state,
      firing: row.firing,
      lastActionAt: row.lastActionAt,
      dirty: false,
      wakeSec: undefined,
    };
    this.#entry(row.tenant, row.device).byRule.set(row.rule, s);
    return s;
  }

  /** One rule's states, with their devices (rule changes only: this walks every device). */
  *of(tenant: string, rule: string): Iterable<[string, DeviceState]> {
    for (const e of this.#byDevice.values()) {
      if (e.tenant !== tenant) continue;
      const s = e.byRule.get(rule);
      if (s) yield [e.device, s];
    }
  }

  /** Every device with states, as a list a snapshot walks in slices. */
  devices(): DeviceEntry[] {
    return [...this.#byDevice.values()];
  }

  /**
   * Of these devices, the ones with a state changed since they were last
   * taken, with all their states (rules no longer loaded are left out, so
   * their saved state goes).
   */
  takeDirty(
    devices: Iterable<DeviceEntry>,
    ruleOf: (tenant: string, name: string) => RuleRef | undefined,
  ): DeviceRuleStates[] {
    const out: DeviceRuleStates[] = [];
    for (const e of devices) {
      let dirty = false;
      for (const s of e.byRule.values()) {
        if (s.dirty) {
          dirty = true;
          s.dirty = false;
        }
      }
      if (!dirty) continue;
      const rules: Record<string, SavedRuleState> = {};
      for (const [name, s] of e.byRule) {
        const r = ruleOf(e.tenant, name);
        if (r)
          rules[name] = {
            version: r.version,
            state: s.state,
            firing: s.firing,
            lastActionAt: s.lastActionAt,
          };
      }
      out.push({ tenant: e.tenant, device: e.device, rules });
    }
    return out;
  }

  dropRule(tenant: string, rule: string): void {
    for (const e of this.#byDevice.values()) if (e.tenant === tenant) e.byRule.delete(rule);
  }

  /** One device's states in every rule of the tenant, or (no device) the whole tenant's. */
  dropDevice(tenant: string, device?: string): void {
    if (device !== undefined) {
      this.#byDevice.delete(k2(tenant, device));
      return;
    }
    for (const [key, e] of this.#byDevice) if (e.tenant === tenant) this.#byDevice.delete(key);
  }
}
