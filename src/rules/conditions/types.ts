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
  /**
   * The device's twin after a change (or as first read): both sides and
   * their difference, whole. `version` orders them (an older one is ignored).
   */
  | {
      readonly kind: 'twin';
      readonly ts: number;
      readonly version: number;
      readonly desired: Readonly<Record<string, unknown>>;
      readonly reported: Readonly<Record<string, unknown>>;
      readonly delta: Readonly<Record<string, unknown>>;
    }
  /** The engine's clock, about once a second, for conditions that become true by time passing. */
  | { readonly kind: 'tick'; readonly ts: number };

/** Which signals a condition needs, so the engine steps it only with those. */
export interface Needs {
  /** Telemetry keys it reads (the engine indexes rules by these). */
  readonly keys: readonly string[];
  readonly events?: boolean;
  readonly status?: boolean;
  readonly twin?: boolean;
  readonly ticks?: boolean;
}

export interface Condition<S = unknown> {
  readonly needs: Needs;
  /** Its state never changes (only whether it holds does): nothing to save after each signal. */
  readonly stateless?: boolean;
  /** State for a device seen for the first time. */
  initial(): S;
  /**
   * Feeds one signal (mutating `state`) and returns whether the condition
   * holds now, or undefined when this signal says nothing about it (the
   * engine keeps the previous answer).
   */
  step(state: S, signal: Signal): boolean | undefined;
  /**
   * For conditions that need ticks: the earliest clock time at which a tick
   * could change the answer (a duration completing, a window expiring), or
   * undefined when no tick can before the next signal. The engine ticks the
   * device's state only then, instead of every second. Absent: every tick.
   */
  wakeAt?(state: S): number | undefined;
}

/** The earlier of two wake times (undefined: never). */
export const earliest = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b);

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

/** The value at a dotted path (`firmware.version`) of a JSON object, or undefined. */
export function at(doc: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let v: unknown = doc;
  for (const part of path) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

export const isScalar = (v: unknown): v is Scalar =>
  typeof v === 'boolean' || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
