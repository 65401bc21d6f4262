import type { DeviceRuleStates, RuleStateRow } from '../rule-state.js';

/** Rule-state rows ↔ model, shared by the SQLite and PostgreSQL stores: one JSON document per device. */
export interface DeviceStatesRow {
  tenant: string;
  device: string;
  states: string;
}

/** A device's states as stored: rule name → [version, state, firing 0/1, lastActionAt]. */
export type StoredStates = Record<string, [number, unknown, number, number | null]>;

/** The rule states one device row holds. */
export function toRuleStates(r: DeviceStatesRow): RuleStateRow[] {
  const out: RuleStateRow[] = [];
  for (const [rule, [version, state, firing, lastActionAt]] of Object.entries(
    JSON.parse(r.states) as StoredStates,
  )) {
    out.push({
      tenant: r.tenant,
      rule,
      version,
      device: r.device,
      state,
      firing: firing === 1,
      lastActionAt,
    });
  }
  return out;
}

/** The `states` column of a device, or undefined when it has no rule states left (its row goes). */
export function encodeStates(rules: DeviceRuleStates['rules']): string | undefined {
  const entries = Object.entries(rules);
  if (entries.length === 0) return undefined;
  const stored: StoredStates = {};
  for (const [rule, s] of entries) stored[rule] = [s.version, s.state, s.firing ? 1 : 0, s.lastActionAt];
  return JSON.stringify(stored);
}
