import { at, type Condition, compare, isScalar, type Op, type Scalar, type Signal } from './types.js';

type TwinSignal = Extract<Signal, { kind: 'twin' }>;

/** Per device: the newest twin version seen, so a late older copy changes nothing. */
interface TwinState {
  version: number;
}

/** Whether this twin signal is newer than the last one the condition used (and remembers it). */
export function newer(state: { version: number }, s: TwinSignal): boolean {
  if (s.version <= state.version) return false;
  state.version = s.version;
  return true;
}

/**
 * Over the device twin (ARCHITECTURE §4 twins):
 * - `{side, path, op, value}`: the twin's value at `path` compares true
 *   (a missing or non-scalar value does not hold), e.g. reported
 *   `mode == "manual"`, or reported `firmware.version != "2.4.1"`;
 * - `{pending: true, path?}`: desired and reported differ (at `path`, or
 *   anywhere): with `for`, "the device has not applied its configuration
 *   in 10 minutes".
 * Evaluated when the twin changes, and once when the engine first meets
 * the device.
 */
export function createTwin(
  spec:
    | { side: 'desired' | 'reported'; path: readonly string[]; op: Op; value: Scalar }
    | { pending: true; path?: readonly string[] },
): Condition<TwinState> {
  return {
    needs: { keys: [], twin: true },
    initial: () => ({ version: -1 }),
    step(state, s) {
      if (s.kind !== 'twin' || !newer(state, s)) return undefined;
      if ('pending' in spec) {
        return spec.path === undefined
          ? Object.keys(s.delta).length > 0
          : at(s.delta, spec.path) !== undefined;
      }
      const v = at(spec.side === 'desired' ? s.desired : s.reported, spec.path);
      return isScalar(v) && compare(v, spec.op, spec.value);
    },
  };
}
