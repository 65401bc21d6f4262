/**
 * The frame every rule condition implements (ARCHITECTURE §2, §6.1 rules).
 * A condition is compiled once from its spec and then stepped, per device,
 * with that device's signals in order; its per-device state is a plain
 * JSON-serialisable object (the engine persists it, so windows and
 * durations survive a restart). Pure: no clocks, no I/O; time comes in the
 * signals.
 */
export type Scalar = number | boolean | string;

export type Signal =
  /** A stored telemetry point (device time; untimed points carry their receive time). */
  | { readonly kind: 'point'; readonly key: string; readonly ts: number; readonly value: Scalar }
  /** A device event. */
  | {
      readonly kind: 'event';
      readonly type: string;
      readonly ts: number;
      readonly data: Record<string, unknown>;
    }
  /** The device came online or went offline. */
  | { readonly kind: 'status'; readonly status: 'online' | 'offline'; readonly ts: number }
  /** The engine's clock, about once a second, for conditions that become true by time passing. */
  | { readonly kind: 'tick'; readonly ts: number };

/** Which signals a condition needs, so the engine steps it only with those. */
export interface Needs {
  /** Telemetry keys it reads (the engine indexes rules by these). */
  readonly keys: readonly string[];
  readonly events?: boolean;
  readonly status?: boolean;
  readonly ticks?: boolean;
}

export interface Condition<S = unknown> {
  readonly needs: Needs;
  /** State for a device seen for the first time. */
  initial(): S;
  /**
   * Feeds one signal (mutating `state`) and returns whether the condition
   * holds now, or undefined when this signal says nothing about it (the
   * engine keeps the previous answer).
   */
  step(state: S, signal: Signal): boolean | undefined;
}

/** Comparison operators of threshold-like conditions. */
export type Op = '>' | '>=' | '<' | '<=' | '==' | '!=';
export const OPS: readonly Op[] = ['>', '>=', '<', '<=', '==', '!='];

export function compare(a: Scalar, op: Op, b: Scalar): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    default:
      if (typeof a !== 'number' || typeof b !== 'number') return false;
      return op === '>' ? a > b : op === '>=' ? a >= b : op === '<' ? a < b : a <= b;
  }
}
