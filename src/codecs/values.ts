import { Buffer } from 'node:buffer';
import { Tag } from 'cbor-x';
import { type DecodedPoint, MAX_STRING_BYTES, type PointProblem, type Scalar } from './model.js';

// Compiled once: these run per point.
const KEY_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;

export const KEY_REASON = `invalid key: must match ${KEY_PATTERN.source}`;
const SHOWN_KEY_LENGTH = 64;

/** Epoch ms below this (1973-03-03) are almost surely seconds sent by mistake. */
const MIN_TS_MS = 1e11;
/** The last instant a JS Date can hold. */
const MAX_TS_MS = 8.64e15;

export function isValidKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

/** Problems echo keys shortened to 64 characters: a bad key may be of any length. */
export function shownKey(key: string): string {
  return key.length <= SHOWN_KEY_LENGTH ? key : `${key.slice(0, SHOWN_KEY_LENGTH - 3)}...`;
}

export function makeProblem(
  index: number | undefined,
  key: string | undefined,
  reason: string,
): PointProblem {
  const p: { index?: number; key?: string; reason: string } = { reason };
  if (index !== undefined) p.index = index;
  if (key !== undefined) p.key = shownKey(key);
  return p;
}

export function makePoint(key: string, value: Scalar, ts: number | undefined, unit?: string): DecodedPoint {
  if (ts === undefined) return unit === undefined ? { key, value } : { key, value, unit };
  return unit === undefined ? { key, value, ts } : { key, value, ts, unit };
}

/** A string within the 4,096 UTF-8 byte limit; counts bytes only when the length leaves a doubt. */
export function fitsStringLimit(s: string): boolean {
  // A UTF-16 code unit takes at most 3 UTF-8 bytes.
  if (s.length * 3 <= MAX_STRING_BYTES) return true;
  if (s.length > MAX_STRING_BYTES) return false;
  return Buffer.byteLength(s, 'utf8') <= MAX_STRING_BYTES;
}

/** A finite number (or 64-bit CBOR integer) as a number, else undefined. */
export function toFiniteNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') {
    // cbor-x gives 64-bit integers as bigint; JSON.parse rounds big integers the same way.
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** The value as a storable scalar, or undefined (then `scalarProblem` says why). */
export function toScalar(v: unknown): Scalar | undefined {
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'string':
      return fitsStringLimit(v) ? v : undefined;
    default:
      return toFiniteNumber(v);
  }
}

export function scalarProblem(v: unknown): string {
  if (v === null) return 'null is not a storable value';
  if (v === undefined) return 'undefined is not a storable value';
  if (typeof v === 'number') return `${v} is not a storable number`;
  if (typeof v === 'bigint') return 'integer out of range';
  if (typeof v === 'string') return `string longer than ${MAX_STRING_BYTES} UTF-8 bytes`;
  if (Array.isArray(v)) return 'arrays are not stored: send one key per element';
  return `${describe(v)} is not a storable value`;
}

/** Short name of a decoded value's kind, for messages. */
export function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v !== 'object') return `a ${typeof v}`;
  if (Array.isArray(v)) return 'an array';
  if (ArrayBuffer.isView(v)) return 'a byte string';
  if (v instanceof Tag) return `CBOR tag ${v.tag}`;
  if (v instanceof Map) return 'a map';
  const proto: unknown = Object.getPrototypeOf(v);
  // Dates, sets, regular expressions ... : cbor-x's built-in tag decodings.
  return proto === Object.prototype || proto === null ? 'an object' : 'a CBOR tagged value';
}

/**
 * A `ts` field: epoch ms (a number) or an ISO 8601 date-time with a zone.
 * Returns integer epoch ms, or undefined (then `tsProblem` says why).
 */
export function parseTs(v: unknown): number | undefined {
  const ms = typeof v === 'string' ? (ISO_DATE_TIME.test(v) ? Date.parse(v) : Number.NaN) : toFiniteNumber(v);
  // NaN and undefined fail both comparisons.
  return ms !== undefined && ms >= MIN_TS_MS && ms <= MAX_TS_MS ? Math.round(ms) : undefined;
}

export function tsProblem(v: unknown): string {
  if (v === undefined) return 'missing ts';
  if (typeof v === 'string') {
    return ISO_DATE_TIME.test(v) && !Number.isNaN(Date.parse(v))
      ? 'ts must be 1973 or later'
      : 'ts is not an ISO 8601 date-time with a zone, e.g. 2024-05-01T12:00:00Z';
  }
  const n = toFiniteNumber(v);
  if (n !== undefined && n > 0 && n < MIN_TS_MS) return `ts ${n} looks like seconds: send epoch milliseconds`;
  return 'ts must be epoch milliseconds (1973 or later) or an ISO 8601 date-time';
}

/** Epoch ms a JS Date can hold (resolved SenML times may fall outside). */
export function isValidMs(ms: number): boolean {
  return ms >= 0 && ms <= MAX_TS_MS;
}
