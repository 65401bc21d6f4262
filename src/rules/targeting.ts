import type { RuleTarget } from './spec.js';

/** What the engine knows of a device to decide which rules apply to it. */
export interface DeviceFacts {
  readonly id: string;
  readonly profile: string;
  readonly groups: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Whether a rule's target covers a device: every part that is given must
 * match (devices: one of them; groups: member of one; profile: equal;
 * labels: all equal), so `{profile: "press", labels: {site: "lyon"}}` means
 * the presses in Lyon.
 */
export function targets(target: RuleTarget, d: DeviceFacts): boolean {
  if (target.devices && !target.devices.includes(d.id)) return false;
  if (target.groups && !target.groups.some((g) => d.groups.includes(g))) return false;
  if (target.profile !== undefined && target.profile !== d.profile) return false;
  if (target.labels && !Object.entries(target.labels).every(([k, v]) => d.labels[k] === v)) return false;
  return true;
}

/** Whether two reads of a device's facts target the same rules (ids are equal by construction). */
export function sameFacts(a: DeviceFacts, b: DeviceFacts): boolean {
  if (a.profile !== b.profile || a.groups.length !== b.groups.length) return false;
  if (!a.groups.every((g, i) => g === b.groups[i])) return false;
  const keys = Object.keys(a.labels);
  return keys.length === Object.keys(b.labels).length && keys.every((k) => a.labels[k] === b.labels[k]);
}
