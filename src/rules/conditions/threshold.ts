import { type Condition, compare, type Op, type Scalar } from './types.js';

/** `temperature > 80`: holds while the key's latest value compares true. */
export function createThreshold(spec: {
  key: string;
  op: Op;
  value: Scalar;
}): Condition<Record<string, never>> {
  return {
    needs: { keys: [spec.key] },
    stateless: true,
    initial: () => ({}),
    step(_state, s) {
      if (s.kind !== 'point' || s.key !== spec.key) return undefined;
      if (typeof spec.value === 'number' && typeof s.value !== 'number') return undefined;
      return compare(s.value, spec.op, spec.value);
    },
  };
}

/**
 * `pressure outside 2..6`: holds while the latest value is outside
 * [min, max] (or inside, with `when: 'inside'`); a missing bound is open.
 */
export function createRange(spec: {
  key: string;
  min?: number;
  max?: number;
  when: 'outside' | 'inside';
}): Condition<Record<string, never>> {
  return {
    needs: { keys: [spec.key] },
    stateless: true,
    initial: () => ({}),
    step(_state, s) {
      if (s.kind !== 'point' || s.key !== spec.key || typeof s.value !== 'number') return undefined;
      const inside =
        (spec.min === undefined || s.value >= spec.min) && (spec.max === undefined || s.value <= spec.max);
      return spec.when === 'inside' ? inside : !inside;
    },
  };
}
