import type { Condition, Signal } from './conditions/index.js';
import type { RuleTarget } from './spec.js';
import { type DeviceFacts, targets } from './targeting.js';

/** What the index needs of a rule. */
interface Indexable {
  readonly condition: Condition;
  readonly spec: { readonly target: RuleTarget };
}

/** One tenant's rules, indexed twice: by the signals they read and by what they target. */
export interface TenantRules<R> {
  /** By what they read: a key, `*` (every point and event), `$event`, `$status`, `$twin`. */
  readonly reading: ReadonlyMap<string, readonly R[]>;
  /** By one given part of their target (see `bucketOf`); a device looks in its own buckets only. */
  readonly targeting: ReadonlyMap<string, readonly R[]>;
  /** Position of each rule, so lists built from several buckets keep one order. */
  readonly order: ReadonlyMap<R, number>;
}

export type RuleIndex<R> = ReadonlyMap<string, TenantRules<R>>;

/** The rules one device has, by the signals they read (computed once per device and index). */
export interface DeviceRules<R> {
  readonly byKey: ReadonlyMap<string, readonly R[]>;
  /** Rules reading every point and event (`*`: inactivity). */
  readonly any: readonly R[];
  readonly event: readonly R[];
  readonly status: readonly R[];
  readonly twin: readonly R[];
}

const sep = '\u0000';

/**
 * A rule is filed under one part of its target that every device it targets
 * must have: its device ids, else its groups, else one label, else its
 * profile, else `*` (the whole tenant). Which part does not matter for
 * correctness (`targets` has the last word); the first given is the most
 * selective in practice.
 */
function bucketsOf(t: RuleTarget): string[] {
  if (t.devices) return t.devices.map((d) => `d${sep}${d}`);
  if (t.groups) return t.groups.map((g) => `g${sep}${g}`);
  const label = t.labels && Object.entries(t.labels)[0];
  if (label) return [`l${sep}${label[0]}${sep}${label[1]}`];
  if (t.profile !== undefined) return [`p${sep}${t.profile}`];
  return ['*'];
}

/** The buckets a device's rules can be filed under. */
function bucketsFor(d: DeviceFacts): string[] {
  const out = [`d${sep}${d.id}`, `p${sep}${d.profile}`, '*'];
  for (const g of d.groups) out.push(`g${sep}${g}`);
  for (const [k, v] of Object.entries(d.labels)) out.push(`l${sep}${k}${sep}${v}`);
  return out;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** Indexes each tenant's rules by the signals their conditions need and by their targets. */
export function buildIndex<R extends Indexable>(
  rules: ReadonlyMap<string, ReadonlyMap<string, R>>,
): RuleIndex<R> {
  const index = new Map<string, TenantRules<R>>();
  for (const [tenant, byName] of rules) {
    const reading = new Map<string, R[]>();
    const targeting = new Map<string, R[]>();
    const order = new Map<R, number>();
    for (const r of byName.values()) {
      order.set(r, order.size);
      const n = r.condition.needs;
      for (const key of n.keys) push(reading, key, r);
      if (n.events) push(reading, '$event', r);
      if (n.status) push(reading, '$status', r);
      if (n.twin) push(reading, '$twin', r);
      for (const b of bucketsOf(r.spec.target)) push(targeting, b, r);
    }
    index.set(tenant, { reading, targeting, order });
  }
  return index;
}

/**
 * The rules that target this device, by what they read: a thousand rules in
 * a tenant cost a device only its own few buckets and rules, not a pass
 * over all of them.
 */
export function deviceRules<R extends Indexable>(t: TenantRules<R>, d: DeviceFacts): DeviceRules<R> {
  const found = new Set<R>();
  for (const b of bucketsFor(d)) {
    for (const r of t.targeting.get(b) ?? []) if (!found.has(r) && targets(r.spec.target, d)) found.add(r);
  }
  const mine = [...found].sort((a, b) => (t.order.get(a) ?? 0) - (t.order.get(b) ?? 0));
  const byKey = new Map<string, R[]>();
  const any: R[] = [];
  const event: R[] = [];
  const status: R[] = [];
  const twin: R[] = [];
  for (const r of mine) {
    const n = r.condition.needs;
    for (const key of n.keys) {
      if (key === '*') any.push(r);
      else push(byKey, key, r);
    }
    if (n.events) event.push(r);
    if (n.status) status.push(r);
    if (n.twin) twin.push(r);
  }
  return { byKey, any, event, status, twin };
}

/** Of one device's rules, those that read this signal (ticks are not here: the wake wheel hands those out). */
export function rulesReading<R>(d: DeviceRules<R>, signal: Signal): readonly R[] {
  switch (signal.kind) {
    case 'point': {
      const own = d.byKey.get(signal.key);
      return own ? (d.any.length ? [...own, ...d.any] : own) : d.any;
    }
    case 'event':
      return d.any.length ? [...d.event, ...d.any] : d.event;
    case 'status':
      return d.status;
    case 'twin':
      return d.twin;
    default:
      return [];
  }
}
