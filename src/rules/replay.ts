import type { Condition, Signal } from './conditions/index.js';

/** One time a rule would have fired for a device in a dry run. */
export interface Firing {
  readonly device: string;
  /** When it started to hold (signal time). */
  readonly at: number;
  /** When it stopped holding; null: still holding at the end of the range. */
  until: number | null;
  /** The point that made it fire, when one did. */
  readonly key?: string;
  readonly value?: number | boolean | string;
  /** Whether its actions would have run (false: within the rule's throttle after an earlier firing). */
  readonly acts: boolean;
}

export interface ReplayOptions {
  readonly from: number;
  readonly to: number;
  /** Clock ticks every tickMs in [from, to], for conditions that become true by time passing. */
  readonly tickMs: number;
  readonly throttleMs: number;
}

/**
 * Steps a condition through one device's history as the engine would have
 * live (same state, same transitions, same throttle), with engine ticks
 * every `tickMs`. Pure: the signals come sorted by time.
 */
export function replay(
  condition: Condition,
  device: string,
  signals: readonly Signal[],
  opts: ReplayOptions,
): Firing[] {
  const state = condition.initial();
  const firings: Firing[] = [];
  let firing = false;
  let lastActs: number | undefined;
  const feed = (s: Signal) => {
    const holds = condition.step(state, s);
    if (holds === undefined || holds === firing) return;
    firing = holds;
    if (!holds) {
      const open = firings[firings.length - 1];
      if (open) open.until = s.ts;
      return;
    }
    const acts = lastActs === undefined || opts.throttleMs === 0 || s.ts - lastActs >= opts.throttleMs;
    if (acts) lastActs = s.ts;
    firings.push({
      device,
      at: s.ts,
      until: null,
      ...(s.kind === 'point' ? { key: s.key, value: s.value } : {}),
      acts,
    });
  };
  const ticks = condition.needs.ticks === true;
  let nextTick = opts.from;
  for (const s of signals) {
    while (ticks && nextTick < s.ts && nextTick <= opts.to) {
      feed({ kind: 'tick', ts: nextTick });
      nextTick += opts.tickMs;
    }
    feed(s);
  }
  while (ticks && nextTick <= opts.to) {
    feed({ kind: 'tick', ts: nextTick });
    nextTick += opts.tickMs;
  }
  return firings;
}
