import { Collector } from './collector.js';
import { type Fields, field, fieldCount, isFields } from './fields.js';
import { CodecError, type CodecName, type DecodedTelemetry, MAX_DEPTH, MAX_VALUES } from './model.js';
import { describe, isValidKey, KEY_REASON, parseTs, scalarProblem, toScalar, tsProblem } from './values.js';

/**
 * The telemetry shapes of ARCHITECTURE §5, shared by JSON and CBOR:
 * a flat object `{"temp": 21.5}`, a timestamped `{"ts": ..., "values": {...}}`,
 * or an array of either (a device flushing its offline buffer). Nested objects
 * flatten to dotted keys. Bad values become problems; the rest is kept.
 */
export function telemetryFromShapes(codec: CodecName, root: unknown): DecodedTelemetry {
  const out = new Collector(codec, MAX_VALUES);
  if (Array.isArray(root)) {
    // Checked up front: walking a huge array only to fail at the end wastes the CPU the limit protects.
    if (root.length > MAX_VALUES) {
      throw new CodecError(codec, `payload has more than ${MAX_VALUES} entries: split it`);
    }
    for (let i = 0; i < root.length; i++) entry(out, root[i], i);
  } else if (isFields(root)) {
    entry(out, root, undefined);
  } else {
    throw new CodecError(codec, `top level must be an object or an array, not ${describe(root)}`);
  }
  return { points: out.points, problems: out.problems };
}

function entry(out: Collector, e: unknown, index: number | undefined): void {
  if (!isFields(e)) {
    out.problem(index, undefined, `entry is ${describe(e)}, not an object`);
    return;
  }
  // An object with a `values` object is the timestamped form; anything else is flat
  // (where `ts` is then an ordinary key).
  const values = field(e, 'values');
  if (!isFields(values)) {
    walk(out, e, '', 1, undefined, index);
    return;
  }
  const rawTs = field(e, 'ts');
  const ts = parseTs(rawTs);
  if (ts === undefined) {
    out.problem(index, 'ts', `${tsProblem(rawTs)}: the entry's values are skipped`);
    return;
  }
  if (fieldCount(e) > 2) reportExtraFields(out, e, index);
  walk(out, values, '', 1, ts, index);
}

/** Fields beside `ts` and `values` would otherwise be lost without a word. */
function reportExtraFields(out: Collector, e: Fields, index: number | undefined): void {
  const reason = 'unexpected field beside "ts" and "values": put it inside "values"';
  if (e instanceof Map) {
    for (const k of e.keys()) {
      if (k !== 'ts' && k !== 'values') {
        out.problem(index, typeof k === 'string' ? k : describeKey(k), reason);
      }
    }
  } else {
    for (const k of Object.keys(e)) if (k !== 'ts' && k !== 'values') out.problem(index, k, reason);
  }
}

function walk(
  out: Collector,
  node: Fields,
  prefix: string,
  depth: number,
  ts: number | undefined,
  index: number | undefined,
): void {
  if (node instanceof Map) {
    for (const [k, v] of node) {
      if (typeof k === 'string') {
        visit(out, prefix === '' ? k : `${prefix}.${k}`, v, depth, ts, index);
      } else {
        out.problem(
          index,
          prefix === '' ? undefined : prefix,
          `map key ${describeKey(k)} is not a text string`,
        );
      }
    }
  } else {
    const obj = node as Readonly<Record<string, unknown>>;
    for (const k of Object.keys(obj)) {
      visit(out, prefix === '' ? k : `${prefix}.${k}`, obj[k], depth, ts, index);
    }
  }
}

function visit(
  out: Collector,
  key: string,
  v: unknown,
  depth: number,
  ts: number | undefined,
  index: number | undefined,
): void {
  if (isFields(v)) {
    if (depth >= MAX_DEPTH) out.problem(index, key, `nested deeper than ${MAX_DEPTH} levels`);
    else walk(out, v, key, depth + 1, ts, index);
    return;
  }
  if (!isValidKey(key)) {
    out.problem(index, key, KEY_REASON);
    return;
  }
  const scalar = toScalar(v);
  if (scalar === undefined) out.problem(index, key, scalarProblem(v));
  else out.point(key, scalar, ts);
}

/** A non-text CBOR map key, shown without stringifying a possibly huge array or map. */
function describeKey(k: unknown): string {
  const t = typeof k;
  return t === 'number' || t === 'bigint' || t === 'boolean' || k === null || k === undefined
    ? String(k)
    : `(${describe(k)})`;
}
