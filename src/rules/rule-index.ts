import type { Condition, Signal } from './conditions/index.js';

/** Per tenant, the rules by what they read: a key, `*` (every point and event), `$event`, `$status`, `$twin`. */
export type RuleIndex<R> = Map<string, Map<string, R[]>>;

/** Indexes each tenant's rules by the signals their conditions need. */
export function buildIndex<R extends { readonly condition: Condition }>(
  rules: ReadonlyMap<string, ReadonlyMap<string, R>>,
): RuleIndex<R> {
  const index: RuleIndex<R> = new Map();
  for (const [tenant, byName] of rules) {
    const byKey = new Map<string, R[]>();
    const add = (key: string, r: R) => byKey.set(key, [...(byKey.get(key) ?? []), r]);
    for (const r of byName.values()) {
      const n = r.condition.needs;
      for (const key of n.keys) add(key, r);
      if (n.events) add('$event', r);
      if (n.status) add('$status', r);
      if (n.twin) add('$twin', r);
    }
    index.set(tenant, byKey);
  }
  return index;
}

/** The tenant's rules that read this signal (ticks are not indexed: the wake wheel hands those out). */
export function rulesReading<R>(index: RuleIndex<R>, tenant: string, signal: Signal): readonly R[] {
  const byKey = index.get(tenant);
  if (!byKey) return [];
  if (signal.kind === 'point') {
    const own = byKey.get(signal.key) ?? [];
    const any = byKey.get('*');
    return any ? [...own, ...any] : own;
  }
  if (signal.kind === 'event') return [...(byKey.get('$event') ?? []), ...(byKey.get('*') ?? [])];
  if (signal.kind === 'status') return byKey.get('$status') ?? [];
  if (signal.kind === 'twin') return byKey.get('$twin') ?? [];
  return [];
}
