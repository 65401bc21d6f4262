import type { RuleTransition } from '../core/bus.js';
import type { Signal } from './conditions/index.js';
import type { RuleSpec } from './spec.js';

/**
 * The `rule-transition` event for a rule starting (firing) or stopping to
 * hold for a device: the alarm it raises or clears, and the point behind
 * it (the last one the rule read, also when the clock completed it).
 */
export function transitionOf(
  r: { readonly tenant: string; readonly name: string; readonly version: number; readonly spec: RuleSpec },
  device: string,
  firing: boolean,
  ts: number,
  last?: Extract<Signal, { kind: 'point' }>,
): RuleTransition {
  const alarm = r.spec.alarm;
  return {
    tenant: r.tenant,
    device,
    rule: r.name,
    version: r.version,
    firing,
    ts,
    ...(last ? { key: last.key, value: last.value } : {}),
    ...(alarm
      ? {
          alarm: {
            type: alarm.type,
            severity: alarm.severity,
            autoClear: alarm.autoClear,
            ...(alarm.message === undefined ? {} : { message: alarm.message }),
          },
        }
      : {}),
  };
}
