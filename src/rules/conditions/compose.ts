import { type Condition, earliest, type Needs, type Signal } from './types.js';

/** Union of what the parts need. */
export function mergeNeeds(parts: readonly Needs[]): Needs {
  const keys = [...new Set(parts.flatMap((p) => p.keys))];
  return {
    keys,
    ...(parts.some((p) => p.events) ? { events: true } : {}),
    ...(parts.some((p) => p.status) ? { status: true } : {}),
    ...(parts.some((p) => p.twin) ? { twin: true } : {}),
    ...(parts.some((p) => p.ticks) ? { ticks: true } : {}),
  };
}

const wants = (n: Needs, s: Signal) =>
  s.kind === 'point'
    ? n.keys.includes(s.key) || n.keys.includes('*')
    : s.kind === 'event'
      ? n.events === true || n.keys.includes('*')
      : s.kind === 'status'
        ? n.status === true
        : s.kind === 'twin'
          ? n.twin === true
          : n.ticks === true;

interface AllAnyState {
  readonly parts: unknown[];
  /** Each part's last answer (null: none yet). */
  readonly truths: (boolean | null)[];
}

/**
 * `all` / `any` of several conditions over one device: each part keeps its
 * own state and its last answer; the combination is re-evaluated whenever a
 * part answers. A part that has not answered yet counts as false.
 */
export function createAllAny(mode: 'all' | 'any', parts: readonly Condition[]): Condition<AllAnyState> {
  return {
    needs: mergeNeeds(parts.map((p) => p.needs)),
    initial: () => ({ parts: parts.map((p) => p.initial()), truths: parts.map(() => null) }),
    step(state, s) {
      let changed = false;
      parts.forEach((p, i) => {
        if (!wants(p.needs, s)) return;
        const t = p.step(state.parts[i], s);
        if (t === undefined) return;
        state.truths[i] = t;
        changed = true;
      });
      if (!changed) return undefined;
      return mode === 'all' ? state.truths.every((t) => t === true) : state.truths.some((t) => t === true);
    },
    wakeAt(state) {
      let wake: number | undefined;
      parts.forEach((p, i) => {
        if (p.needs.ticks) wake = earliest(wake, p.wakeAt ? p.wakeAt(state.parts[i]) : 0);
      });
      return wake;
    },
  };
}

export function createNot(part: Condition): Condition<{ part: unknown }> {
  return {
    needs: part.needs,
    ...(part.stateless ? { stateless: true } : {}),
    initial: () => ({ part: part.initial() }),
    step(state, s) {
      const t = part.step(state.part, s);
      return t === undefined ? undefined : !t;
    },
    ...(part.needs.ticks ? { wakeAt: (state) => (part.wakeAt ? part.wakeAt(state.part) : 0) } : {}),
  };
}

interface ForState {
  readonly part: unknown;
  /** When the part last became true (signal time), while it stays true. */
  since: number | null;
}

/**
 * "temperature > 90 for 5 min": holds once the part has held without a
 * break for `forMs`. Time is the signals' time (device time for points, the
 * engine's clock for ticks), and ticks let it become true when the device
 * keeps quiet with the last value still over the line.
 */
export function createFor(part: Condition, forMs: number): Condition<ForState> {
  return {
    needs: { ...part.needs, ticks: true },
    initial: () => ({ part: part.initial(), since: null }),
    step(state, s) {
      const t = s.kind === 'tick' && !part.needs.ticks ? undefined : part.step(state.part, s);
      if (t === false) {
        state.since = null;
        return false;
      }
      if (t === true) state.since ??= s.ts;
      if (state.since === null) return t === undefined ? undefined : false;
      const held = s.ts - state.since >= forMs;
      // The clock may complete the duration but never revoke it: with a device clock
      // ahead of the server's, "now - since" is negative until the server catches up.
      if (t === undefined) return held ? true : undefined;
      return held;
    },
    wakeAt(state) {
      const own = state.since === null ? undefined : state.since + forMs;
      if (!part.needs.ticks) return own;
      return earliest(own, part.wakeAt ? part.wakeAt(state.part) : 0);
    },
  };
}
