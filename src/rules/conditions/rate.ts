import { type Condition, compare, type Op } from './types.js';

/**
 * `rate(level) per 1m < -5`: the rate of change between consecutive points
 * of one numeric key, (v - prevV) / (ts - prevTs) * perMs, compared with a
 * threshold. The first point only sets the baseline (undefined). A point
 * whose ts is not after the previous one (a duplicate or out of order) is
 * ignored, so a late point never yields a division by zero or a rate with
 * the wrong sign; non-numeric and non-finite values are ignored too. The
 * product is taken before the division so that integer inputs give exact
 * rates (e.g. 2 units per 30 s per minute is exactly 4, not 4.000000000000001).
 */
export interface RateState {
  /** The previous accepted point, or null before the first one. */
  ts: number | null;
  v: number | null;
}

export function createRate(spec: {
  key: string;
  perMs: number;
  op: Op;
  value: number;
}): Condition<RateState> {
  return {
    needs: { keys: [spec.key] },
    initial: () => ({ ts: null, v: null }),
    step(state, s) {
      if (s.kind !== 'point' || s.key !== spec.key) return undefined;
      if (typeof s.value !== 'number' || !Number.isFinite(s.value)) return undefined;
      const { ts: prevTs, v: prevV } = state;
      if (prevTs !== null && s.ts <= prevTs) return undefined;
      state.ts = s.ts;
      state.v = s.value;
      if (prevTs === null || prevV === null) return undefined;
      return compare(((s.value - prevV) * spec.perMs) / (s.ts - prevTs), spec.op, spec.value);
    },
  };
}
