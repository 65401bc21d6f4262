import { Buffer } from 'node:buffer';
import { Collector } from './collector.js';
import { type Fields, isFields } from './fields.js';
import { CodecError, type DecodedTelemetry, MAX_RECORDS, MAX_STRING_BYTES, type Scalar } from './model.js';
import {
  describe,
  fitsStringLimit,
  isValidKey,
  isValidMs,
  KEY_REASON,
  shownKey,
  toFiniteNumber,
} from './values.js';

/**
 * SenML (RFC 8428) packs, JSON and CBOR representations, resolved into points
 * as §4.6 resolves records: key = bn + n, time = bt + t, value = bv + v,
 * sum = bs + s, unit = u or else bu.
 */

type SenmlCodec = 'senml+json' | 'senml+cbor';
type Label =
  | 'bver'
  | 'bn'
  | 'bt'
  | 'bu'
  | 'bv'
  | 'bs'
  | 'n'
  | 'u'
  | 'v'
  | 'vs'
  | 'vb'
  | 's'
  | 't'
  | 'ut'
  | 'vd';
type RawRecord = Record<Label, unknown>;

/** §6 Table 4: the CBOR representation's integer labels. */
const CBOR_LABELS: ReadonlyMap<number, Label> = new Map<number, Label>([
  [-1, 'bver'],
  [-2, 'bn'],
  [-3, 'bt'],
  [-4, 'bu'],
  [-5, 'bv'],
  [-6, 'bs'],
  [0, 'n'],
  [1, 'u'],
  [2, 'v'],
  [3, 'vs'],
  [4, 'vb'],
  [5, 's'],
  [6, 't'],
  [7, 'ut'],
  [8, 'vd'],
]);
const JSON_LABELS: ReadonlyMap<string, Label> = new Map([...CBOR_LABELS.values()].map((l) => [l, l]));
const CBOR_LABEL_OF: ReadonlyMap<string, number> = new Map([...CBOR_LABELS].map(([n, l]) => [l, n]));

/** §4.4: the version this decoder understands; the default when a pack names none. */
const VERSION = 10;
/** §4.5.3: resolved times below 2**28 s are relative to "now", others are absolute. */
const RELATIVE_BELOW = 2 ** 28;
/** §5: Data Values are base64url (RFC 4648 §5) without padding. */
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** §4: base fields carry forward until a later record replaces them. */
interface Base {
  bn: string;
  bt: number | undefined;
  bu: string | undefined;
  bv: number | undefined;
  bs: number | undefined;
  version: number | undefined;
}

export function telemetryFromSenml(codec: SenmlCodec, root: unknown, now: number): DecodedTelemetry {
  if (!Array.isArray(root)) {
    throw new CodecError(
      codec,
      `a SenML pack must be an array of records, not ${describe(root)} (RFC 8428 §5)`,
    );
  }
  if (root.length > MAX_RECORDS) {
    throw new CodecError(codec, `pack has more than ${MAX_RECORDS} records: split it`);
  }
  const cbor = codec === 'senml+cbor';
  // A record gives at most two points (value and sum): the record limit bounds the work.
  const out = new Collector(codec, 2 * MAX_RECORDS);
  const base: Base = {
    bn: '',
    bt: undefined,
    bu: undefined,
    bv: undefined,
    bs: undefined,
    version: undefined,
  };
  for (let i = 0; i < root.length; i++) {
    const rec: unknown = root[i];
    if (!isFields(rec)) {
      out.problem(i, undefined, `record is ${describe(rec)}, not a map`);
      continue;
    }
    const r = emptyRecord();
    const labelProblem = readLabels(rec, cbor, r);
    // §4: a record's base fields apply to that record too, so they are taken first.
    applyBase(codec, r, base, i);
    if (labelProblem !== undefined) {
      out.problem(i, typeof r.n === 'string' || base.bn !== '' ? nameOf(r, base) : undefined, labelProblem);
    } else {
      resolve(out, r, base, i, now, cbor);
    }
  }
  return { points: out.points, problems: out.problems };
}

/** Every label present from the start: one object shape for all records (a fast path in V8). */
function emptyRecord(): RawRecord {
  return {
    bver: undefined,
    bn: undefined,
    bt: undefined,
    bu: undefined,
    bv: undefined,
    bs: undefined,
    n: undefined,
    u: undefined,
    v: undefined,
    vs: undefined,
    vb: undefined,
    s: undefined,
    t: undefined,
    ut: undefined,
    vd: undefined,
  };
}

function nameOf(r: RawRecord, base: Base): string {
  return typeof r.n === 'string' ? base.bn + r.n : base.bn;
}

/** Sorts a record's fields by label; returns the first reason to reject the record, if any. */
function readLabels(rec: Fields, cbor: boolean, r: RawRecord): string | undefined {
  let problem: string | undefined;
  if (rec instanceof Map) {
    for (const [k, v] of rec) {
      const p = readLabel(k, v, cbor, r);
      problem ??= p; // every label is still read: later base fields must not be lost
    }
  } else {
    const obj = rec as Readonly<Record<string, unknown>>;
    for (const k of Object.keys(obj)) {
      const p = readLabel(k, obj[k], cbor, r);
      problem ??= p;
    }
  }
  return problem;
}

function readLabel(k: unknown, v: unknown, cbor: boolean, r: RawRecord): string | undefined {
  const label = cbor
    ? typeof k === 'number'
      ? CBOR_LABELS.get(k)
      : undefined
    : typeof k === 'string'
      ? JSON_LABELS.get(k)
      : undefined;
  if (label !== undefined) {
    r[label] = v;
    return undefined;
  }
  // §4.4: unknown fields are ignored, unless the label ends in '_' ("must understand").
  // §6: no integer labels will be added, so unknown integer labels are simply ignored.
  if (typeof k !== 'string') return undefined;
  if (k.endsWith('_')) return `unknown must-understand field "${shownKey(k)}" (RFC 8428 §4.4)`;
  const integer = cbor ? CBOR_LABEL_OF.get(k) : undefined;
  if (integer !== undefined) return `SenML CBOR labels are integers: "${k}" is ${integer} (RFC 8428 §6)`;
  return undefined;
}

/** Takes the record's base fields into `base`. A malformed one would skew every later record: the pack fails. */
function applyBase(codec: SenmlCodec, r: RawRecord, base: Base, i: number): void {
  if (r.bver !== undefined) {
    const v = toFiniteNumber(r.bver);
    if (v === undefined || !Number.isInteger(v) || v < 1) {
      baseError(codec, i, 'bver must be a positive integer');
    }
    if (v > VERSION) {
      baseError(
        codec,
        i,
        `unsupported SenML version ${v}: this decoder reads up to ${VERSION} (RFC 8428 §4.4)`,
      );
    }
    if (base.version !== undefined && base.version !== v) {
      const why = `bver ${v} differs from ${base.version}: all records of a pack have one version (RFC 8428 §4.4)`;
      baseError(codec, i, why);
    }
    base.version = v;
  }
  if (r.bn !== undefined) {
    base.bn = typeof r.bn === 'string' ? r.bn : baseError(codec, i, 'bn must be a string');
  }
  if (r.bu !== undefined) {
    base.bu = typeof r.bu === 'string' ? r.bu : baseError(codec, i, 'bu must be a string');
  }
  if (r.bt !== undefined) base.bt = toFiniteNumber(r.bt) ?? baseError(codec, i, 'bt must be a finite number');
  if (r.bv !== undefined) base.bv = toFiniteNumber(r.bv) ?? baseError(codec, i, 'bv must be a finite number');
  if (r.bs !== undefined) base.bs = toFiniteNumber(r.bs) ?? baseError(codec, i, 'bs must be a finite number');
}

function baseError(codec: SenmlCodec, i: number, what: string): never {
  throw new CodecError(codec, `record ${i}: ${what}`);
}

function resolve(out: Collector, r: RawRecord, base: Base, i: number, now: number, cbor: boolean): void {
  // A record of base fields only (as §5.1.7 opens a pack) sets context and measures nothing.
  if (!hasRegularField(r)) return;
  if (r.n !== undefined && typeof r.n !== 'string') {
    out.problem(i, undefined, 'n must be a string');
    return;
  }
  const key = nameOf(r, base);
  if (key === '') out.problem(i, undefined, 'record has no name: bn + n is empty (RFC 8428 §4.5.1)');
  else if (!isValidKey(key)) out.problem(i, key, KEY_REASON);
  else {
    const reason = resolveNamed(out, key, r, base, now, cbor);
    if (reason !== undefined) out.problem(i, key, reason);
  }
}

function hasRegularField(r: RawRecord): boolean {
  return (
    r.n !== undefined ||
    r.u !== undefined ||
    r.v !== undefined ||
    r.vs !== undefined ||
    r.vb !== undefined ||
    r.vd !== undefined ||
    r.s !== undefined ||
    r.t !== undefined ||
    r.ut !== undefined
  );
}

/** Emits the record's point(s), or returns why the record is rejected. */
function resolveNamed(
  out: Collector,
  key: string,
  r: RawRecord,
  base: Base,
  now: number,
  cbor: boolean,
): string | undefined {
  // §4.2: exactly one Value field, unless there is a Sum.
  const values =
    (r.v === undefined ? 0 : 1) +
    (r.vs === undefined ? 0 : 1) +
    (r.vb === undefined ? 0 : 1) +
    (r.vd === undefined ? 0 : 1);
  if (values > 1) return 'more than one value field (v, vs, vb, vd) in one record (RFC 8428 §4.2)';
  let value: Scalar | undefined;
  if (r.v !== undefined) {
    // §4.5.4: the Base Value is added to the Value.
    const v = toFiniteNumber(r.v);
    if (v === undefined) return 'v must be a finite number';
    value = v + (base.bv ?? 0);
    if (!Number.isFinite(value)) return 'v + bv is not a finite number';
  } else if (r.vs !== undefined) {
    if (typeof r.vs !== 'string') return 'vs must be a string';
    if (!fitsStringLimit(r.vs)) return `vs longer than ${MAX_STRING_BYTES} UTF-8 bytes`;
    value = r.vs;
  } else if (r.vb !== undefined) {
    if (typeof r.vb !== 'boolean') return 'vb must be a boolean';
    value = r.vb;
  } else if (r.vd !== undefined) {
    const data = dataValue(r.vd, cbor);
    if (data === undefined) {
      return cbor
        ? 'vd must be a byte string (RFC 8428 §6)'
        : 'vd must be base64url without padding (RFC 8428 §5)';
    }
    if (data.length > MAX_STRING_BYTES) return `vd longer than ${MAX_STRING_BYTES} bytes in base64url`;
    value = data;
  }

  // §4.5.4: a sum exists when Sum or Base Sum is present; the missing one counts as zero.
  let sum: number | undefined;
  if (r.s !== undefined || base.bs !== undefined) {
    const s = r.s === undefined ? 0 : toFiniteNumber(r.s);
    if (s === undefined) return 's must be a finite number';
    sum = s + (base.bs ?? 0);
    if (!Number.isFinite(sum)) return 's + bs is not a finite number';
  }
  if (value === undefined && sum === undefined) {
    return 'record has no value (v, vs, vb, vd) and no sum (s) (RFC 8428 §4.2)';
  }

  // §4.5.2: the record's own Unit, else the Base Unit.
  if (r.u !== undefined && typeof r.u !== 'string') return 'u must be a string';
  const unit = (r.u as string | undefined) ?? base.bu;

  // §4.5.3: time = bt + t in seconds (a missing one counts as zero); neither = "now", which
  // the receive time stands for downstream. `ut` (update time) is not about this reading: ignored.
  let ts: number | undefined;
  if (r.t !== undefined || base.bt !== undefined) {
    const t = r.t === undefined ? 0 : toFiniteNumber(r.t);
    if (t === undefined) return 't must be a finite number';
    const seconds = (base.bt ?? 0) + t;
    ts = Math.round(seconds >= RELATIVE_BELOW ? seconds * 1000 : now + seconds * 1000);
    if (!isValidMs(ts)) return 'resolved time is out of range';
  }

  // §4.2: a sum is in unit × seconds, which has no SenML unit name in general: sums carry no unit.
  if (value === undefined) {
    out.point(key, sum as number, ts);
    return undefined;
  }
  if (sum === undefined) {
    out.point(key, value, ts, unit);
    return undefined;
  }
  const sumKey = `${key}.sum`;
  if (!isValidKey(sumKey)) return `${KEY_REASON} (for the sum, "${shownKey(sumKey)}")`;
  out.point(key, value, ts, unit);
  out.point(sumKey, sum, ts);
  return undefined;
}

/** A Data Value as base64url text: validated in JSON, encoded from the byte string in CBOR. */
function dataValue(vd: unknown, cbor: boolean): string | undefined {
  if (cbor) {
    if (!(vd instanceof Uint8Array)) return undefined;
    return Buffer.from(vd.buffer, vd.byteOffset, vd.byteLength).toString('base64url');
  }
  // A length of 4k+1 characters cannot come from whole bytes.
  return typeof vd === 'string' && BASE64URL.test(vd) && vd.length % 4 !== 1 ? vd : undefined;
}
