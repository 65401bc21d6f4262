import type { Condition } from './types.js';

/**
 * No telemetry for `afterMs` (a stalled sensor, a truck that stopped
 * reporting). The clock starts at the first signal seen for the device, so
 * a device that never sends anything is reported too, `afterMs` after the
 * rule first looked at it.
 */
export function createInactivity(spec: { afterMs: number }): Condition<{ last?: number }> {
  return {
    needs: { keys: ['*'], ticks: true },
    initial: () => ({}),
    step(state, s) {
      if (s.kind === 'point' || s.kind === 'event') {
        state.last = Math.max(state.last ?? s.ts, s.ts);
        return false;
      }
      if (s.kind !== 'tick') return undefined;
      state.last ??= s.ts;
      return s.ts - state.last >= spec.afterMs;
    },
    // Never seen yet: the next tick starts the clock.
    wakeAt: (state) => (state.last === undefined ? 0 : state.last + spec.afterMs),
  };
}

/** The device is offline (or online): disconnects, and silence beyond the profile's inactivity timeout. */
export function createStatus(spec: { is: 'online' | 'offline' }): Condition<Record<string, never>> {
  return {
    needs: { keys: [], status: true },
    stateless: true,
    initial: () => ({}),
    step: (_state, s) => (s.kind === 'status' ? s.status === spec.is : undefined),
  };
}

/**
 * A device event of `eventType` (optionally with fields equal to `where`):
 * true on the matching event, false again on the next signal, so each
 * matching event is a new firing.
 */
export function createEventMatch(spec: {
  eventType: string;
  where?: Record<string, unknown>;
}): Condition<{ on: boolean }> {
  return {
    needs: { keys: [], events: true, ticks: true },
    initial: () => ({ on: false }),
    step(state, s) {
      const match =
        s.kind === 'event' &&
        s.type === spec.eventType &&
        Object.entries(spec.where ?? {}).every(([k, v]) => s.data[k] === v);
      if (match) {
        state.on = true;
        return true;
      }
      if (!state.on) return undefined;
      state.on = false;
      return false;
    },
    wakeAt: (state) => (state.on ? 0 : undefined),
  };
}
