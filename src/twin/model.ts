/**
 * Device twins as pure data (ARCHITECTURE §6.1): `desired` (operators,
 * rules, rollouts) and `reported` (the device), each a JSON object with a
 * version and the time each leaf last changed. Changes are JSON merge
 * patches (RFC 7386): objects merge, `null` deletes, anything else replaces.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type State = { [key: string]: Json };

export interface TwinSide {
  readonly state: State;
  readonly version: number;
  /** Dotted path of each leaf → epoch ms of its last change. */
  readonly updated: Readonly<Record<string, number>>;
}

export interface TwinDoc {
  readonly desired: TwinSide;
  readonly reported: TwinSide;
  /** Increases with every change of either side (the ETag). */
  readonly version: number;
}

export const EMPTY_SIDE: TwinSide = Object.freeze({ state: {}, version: 0, updated: {} });
export const EMPTY_TWIN: TwinDoc = Object.freeze({ desired: EMPTY_SIDE, reported: EMPTY_SIDE, version: 0 });

/** Deeper documents are refused: nothing real nests this far, and recursion must stay bounded. */
export const MAX_DEPTH = 16;
// No `.` (paths name leaves), `$` (reserved, as in MongoDB/AWS) or NUL.
const keyOk = (k: string) => k.length >= 1 && k.length <= 128 && !/[.$]/.test(k) && !k.includes('\u0000');

const isObject = (v: unknown): v is State => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Why `patch` is not an acceptable merge patch, or undefined: an object whose
 * keys are 1-128 characters without `.`, `$` or NUL (dotted paths name
 * leaves), at most MAX_DEPTH deep, with finite numbers only.
 */
export function patchProblem(patch: unknown): string | undefined {
  if (!isObject(patch)) return 'the state must be a JSON object';
  return valueProblem(patch, '', 0);
}

function valueProblem(v: unknown, path: string, depth: number): string | undefined {
  if (depth > MAX_DEPTH) return `${path}: nested deeper than ${MAX_DEPTH} levels`;
  if (typeof v === 'number' && !Number.isFinite(v)) return `${path}: numbers must be finite`;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = valueProblem(v[i], `${path}[${i}]`, depth + 1);
      if (p) return p;
    }
    return undefined;
  }
  if (isObject(v)) {
    for (const [k, child] of Object.entries(v)) {
      const here = path ? `${path}.${k}` : k;
      if (!keyOk(k)) return `${here}: keys are 1-128 characters without ".", "$" or NUL`;
      const p = valueProblem(child, here, depth + 1);
      if (p) return p;
    }
    return undefined;
  }
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string')
    return undefined;
  return `${path}: not a JSON value`;
}

/** RFC 7386 merge of a validated patch; returns the new state and which leaf paths changed (set or deleted). */
export function mergePatch(
  state: State,
  patch: State,
): { state: State; changed: string[]; removed: string[] } {
  const changed: string[] = [];
  const removed: string[] = [];
  const merged = mergeInto(state, patch, '', changed, removed);
  return { state: merged, changed, removed };
}

function mergeInto(target: State, patch: State, prefix: string, changed: string[], removed: string[]): State {
  const out: State = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v === null) {
      if (k in out) {
        leaves(out[k] as Json, path, removed);
        delete out[k];
      }
    } else if (isObject(v)) {
      const before = out[k];
      const base = isObject(before) ? before : {};
      if (before !== undefined && !isObject(before)) removed.push(path);
      out[k] = mergeInto(base, v, path, changed, removed);
      // Nothing but deletions inside a new object leaves it empty: RFC 7386 keeps it.
    } else if (!equal(out[k], v)) {
      if (isObject(out[k])) leaves(out[k] as Json, path, removed);
      out[k] = v;
      changed.push(path);
    }
  }
  return out;
}

function leaves(v: Json, path: string, into: string[]): void {
  if (isObject(v)) {
    for (const [k, child] of Object.entries(v)) leaves(child, `${path}.${k}`, into);
  } else into.push(path);
}

export function equal(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as Json[];
    return a.length === bb.length && a.every((x, i) => equal(x, bb[i]));
  }
  const ka = Object.keys(a);
  const bo = b as State;
  return ka.length === Object.keys(bo).length && ka.every((k) => k in bo && equal(a[k], bo[k]));
}

/** The desired leaves the device has not reported yet (or reported differently), as a nested object. */
export function delta(desired: State, reported: State): State {
  const out: State = {};
  for (const [k, d] of Object.entries(desired)) {
    const r = reported[k];
    if (isObject(d) && isObject(r)) {
      const inner = delta(d, r);
      if (Object.keys(inner).length > 0) out[k] = inner;
    } else if (!equal(d, r)) out[k] = d;
  }
  return out;
}

/** Applies a merge patch to one side: new version and leaf times when anything changed. */
export function applyPatch(
  side: TwinSide,
  patch: State,
  now: number,
): { side: TwinSide; changed: boolean; patch: State } {
  const { state, changed, removed } = mergePatch(side.state, patch);
  if (changed.length === 0 && removed.length === 0) return { side, changed: false, patch: {} };
  const updated: Record<string, number> = {};
  const gone = new Set(removed);
  for (const [path, ts] of Object.entries(side.updated)) {
    if (!gone.has(path) && !removed.some((r) => path.startsWith(`${r}.`))) updated[path] = ts;
  }
  for (const path of changed) updated[path] = now;
  return { side: { state, version: side.version + 1, updated }, changed: true, patch };
}

/** Bytes of a side's state as stored (the size limit applies to each side). */
export function stateBytes(state: State): number {
  return Buffer.byteLength(JSON.stringify(state));
}
