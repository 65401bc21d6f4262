import { Encoder } from 'cbor-x';
import { isValidKey } from '../codecs/index.js';
import { DeviceSdkError } from './errors.js';
import type { DeviceFormat } from './options.js';

/** What a telemetry value may be: numbers, booleans, strings, or objects of those (flattened to `a.b`). */
export type TelemetryValue = number | boolean | string | { readonly [key: string]: TelemetryValue };
export type TelemetryValues = { readonly [key: string]: TelemetryValue };

/** One telemetry entry as queued: its original time and its values. */
export interface TelemetryEntry {
  readonly ts: number;
  readonly values: TelemetryValues;
  /** Leaf values (the platform counts points per payload). */
  readonly points: number;
  /** Size of its JSON form in bytes, to keep a batch under the packet limit. */
  readonly size: number;
}

export interface EventEntry {
  readonly type: string;
  readonly ts: number;
  readonly data: Readonly<Record<string, unknown>>;
  readonly size: number;
}

export interface Encoded {
  readonly payload: Buffer;
  readonly contentType: string;
}

/** The platform's limits (src/codecs/model.ts): nesting depth, string bytes, times. */
const MAX_DEPTH = 8;
const MAX_STRING_BYTES = 4096;
const MIN_TS_MS = 1e11;
const MAX_TS_MS = 8.64e15;

// useRecords off: the platform's decoder does not take cbor-x record extensions.
const cbor = new Encoder({ useRecords: false });

function bad(option: string, message: string): never {
  throw new DeviceSdkError('INVALID_ARGUMENT', `${option}: ${message}`, { option });
}

/** A time as integer epoch ms: `undefined` is now; a Date or epoch ms after 1973. */
export function toTs(ts: number | Date | undefined, now: number, option = 'ts'): number {
  if (ts === undefined) return now;
  const ms = ts instanceof Date ? ts.getTime() : ts;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < MIN_TS_MS || ms > MAX_TS_MS) {
    bad(option, `must be a Date or epoch milliseconds (1973 or later), not ${String(ts)}`);
  }
  return Math.round(ms);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Checks telemetry values the way the platform stores them; returns the leaf count. */
function checkValues(node: Record<string, unknown>, prefix: string, depth: number): number {
  if (depth > MAX_DEPTH) bad('values', `nested deeper than ${MAX_DEPTH} levels at ${prefix}`);
  let points = 0;
  for (const [k, v] of Object.entries(node)) {
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (isPlainObject(v)) {
      points += checkValues(v, key, depth + 1);
      continue;
    }
    if (!isValidKey(key))
      bad('values', `key ${JSON.stringify(key)} is not valid (letters, digits, _ . : -; at most 128)`);
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) bad('values', `${key} is ${v}: only finite numbers are stored`);
    } else if (typeof v === 'string') {
      if (Buffer.byteLength(v, 'utf8') > MAX_STRING_BYTES)
        bad('values', `${key} is longer than ${MAX_STRING_BYTES} bytes`);
    } else if (typeof v !== 'boolean') {
      bad(
        'values',
        `${key} is ${Array.isArray(v) ? 'an array' : String(v)}: send numbers, booleans, strings or objects of those`,
      );
    }
    points++;
  }
  return points;
}

/**
 * Validates one telemetry call and gives the entry to queue (pure).
 *
 * @example
 * telemetryEntry({ temp: 21.5, vib: { rms: 0.2 } }, undefined, Date.now()).points; // 2
 */
export function telemetryEntry(values: unknown, ts: number | Date | undefined, now: number): TelemetryEntry {
  if (!isPlainObject(values)) bad('values', 'must be an object such as { temp: 21.5 }');
  const points = checkValues(values, '', 1);
  if (points === 0) bad('values', 'has no values to send');
  const time = toTs(ts, now);
  return { ts: time, values: values as TelemetryValues, points, size: JSON.stringify(values).length + 32 };
}

/** Validates one event call and gives the entry to queue (pure). */
export function eventEntry(
  type: unknown,
  data: unknown,
  ts: number | Date | undefined,
  now: number,
): EventEntry {
  if (typeof type !== 'string' || type.length === 0 || type.length > 128) {
    bad('type', 'must be a non-empty string of at most 128 characters');
  }
  const d = data ?? {};
  if (!isPlainObject(d)) bad('data', 'must be an object');
  if ('type' in d || 'ts' in d) bad('data', "must not hold 'type' or 'ts' (they are the event's own fields)");
  let size: number;
  try {
    size = JSON.stringify(d).length + type.length + 32;
  } catch (err) {
    bad('data', `cannot be serialised as JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  return { type, ts: toTs(ts, now), data: d, size };
}

const CONTENT_TYPE = {
  json: 'application/json',
  cbor: 'application/cbor',
  senml: 'application/senml+json',
} as const;

/** `{temp: 1, vib: {rms: 2}}` → [['temp', 1], ['vib.rms', 2]] (for SenML names). */
function flatten(node: TelemetryValues, prefix: string, out: [string, number | boolean | string][]): void {
  for (const [k, v] of Object.entries(node)) {
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (typeof v === 'object') flatten(v, key, out);
    else out.push([key, v]);
  }
}

/** SenML (RFC 8428 §4): each entry's records start with its base time `bt` in seconds. */
function senmlPack(entries: readonly TelemetryEntry[]): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  for (const e of entries) {
    const leaves: [string, number | boolean | string][] = [];
    flatten(e.values, '', leaves);
    leaves.forEach(([n, v], i) => {
      const r: Record<string, unknown> = i === 0 ? { bt: e.ts / 1000, n } : { n };
      if (typeof v === 'number') r.v = v;
      else if (typeof v === 'boolean') r.vb = v;
      else r.vs = v;
      records.push(r);
    });
  }
  return records;
}

/**
 * Telemetry entries → one payload of ARCHITECTURE §5: `{ts, values}` for
 * one entry, an array of them for a batch (catching up after being
 * offline), or a SenML pack. Times are always sent, so a replayed point
 * keeps the time it was measured.
 */
export function encodeTelemetry(format: DeviceFormat, entries: readonly TelemetryEntry[]): Encoded {
  if (format === 'senml') {
    return { payload: Buffer.from(JSON.stringify(senmlPack(entries))), contentType: CONTENT_TYPE.senml };
  }
  const shaped = entries.map((e) => ({ ts: e.ts, values: e.values }));
  return encodeData(format, shaped.length === 1 ? shaped[0] : shaped);
}

/** Events → `{type, ts, ...data}` or an array of those (JSON, or CBOR with format cbor; SenML has no events). */
export function encodeEvents(format: DeviceFormat, entries: readonly EventEntry[]): Encoded {
  const shaped = entries.map((e) => ({ ...e.data, type: e.type, ts: e.ts }));
  return encodeData(format, shaped.length === 1 ? shaped[0] : shaped);
}

function encodeData(format: DeviceFormat, body: unknown): Encoded {
  if (format === 'cbor') return { payload: Buffer.from(cbor.encode(body)), contentType: CONTENT_TYPE.cbor };
  return encodeDocument(body);
}

/**
 * A document (reported state, command result): always JSON, named by its
 * content type, whatever the telemetry format: small and rare, and readable
 * in a broker's log. (The platform takes CBOR documents too, since cb34a2e.)
 */
export function encodeDocument(doc: unknown): Encoded {
  return { payload: Buffer.from(JSON.stringify(doc ?? null)), contentType: CONTENT_TYPE.json };
}
