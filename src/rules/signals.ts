import type { StoredTelemetry, TwinChange } from '../core/bus.js';
import type { Signal } from './conditions/index.js';

/** A stored batch of a device's telemetry as the engine's signals: its points, then its events. */
export function telemetrySignals(t: StoredTelemetry): Signal[] {
  const signals: Signal[] = t.points.map((p) => ({ kind: 'point', key: p.key, ts: p.ts, value: p.value }));
  for (const e of t.events) signals.push({ kind: 'event', type: e.type, ts: e.ts, data: e.data });
  return signals;
}

/** A twin change as a signal: both sides and their difference, whole, with the twin's version. */
export function twinSignal(t: TwinChange): Signal {
  return {
    kind: 'twin',
    ts: t.ts,
    version: t.version,
    desired: t.desired,
    reported: t.reported,
    delta: t.delta,
  };
}
