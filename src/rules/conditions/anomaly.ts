import type { Condition } from './types.js';

/**
 * `anomaly(vibration)`: a point far from the device's own recent behaviour.
 * The baseline is an exponentially weighted moving mean and variance
 * (incremental form: diff = x - mean; incr = alpha * diff; mean += incr;
 * variance = (1 - alpha) * (variance + diff * incr)), so it costs O(1) per
 * point, keeps three numbers of state, and follows slow drifts while a
 * sudden jump stands out. Each point is judged against the baseline as it
 * was before the point (z = |x - mean| / sqrt(variance)); the condition
 * holds when the baseline already holds at least `warmup` points, its
 * variance is above 0 (a flat signal has no scale to judge by) and
 * z > threshold. The point is then added, anomalous or not, so a lasting
 * level change becomes the new normal. Before warmup the answer is false.
 * The first point seeds the mean (variance 0) rather than pulling a mean
 * that starts at 0, which would inflate the early variance for signals far
 * from 0. Non-numeric and non-finite values are ignored.
 */
export interface AnomalyState {
  /** Points in the baseline. */
  n: number;
  mean: number;
  variance: number;
}

export function createAnomaly(spec: {
  key: string;
  threshold: number;
  alpha: number;
  warmup: number;
}): Condition<AnomalyState> {
  return {
    needs: { keys: [spec.key] },
    initial: () => ({ n: 0, mean: 0, variance: 0 }),
    step(state, s) {
      if (s.kind !== 'point' || s.key !== spec.key) return undefined;
      const x = s.value;
      if (typeof x !== 'number' || !Number.isFinite(x)) return undefined;
      const holds =
        state.n >= spec.warmup &&
        state.variance > 0 &&
        Math.abs(x - state.mean) / Math.sqrt(state.variance) > spec.threshold;
      if (state.n === 0) {
        state.mean = x;
      } else {
        const diff = x - state.mean;
        const incr = spec.alpha * diff;
        state.mean += incr;
        state.variance = (1 - spec.alpha) * (state.variance + diff * incr);
      }
      state.n++;
      return holds;
    },
  };
}
