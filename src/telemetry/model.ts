import { parseTime } from '../core/duration.js';
import type { ItemRejection } from '../core/envelope.js';
import type { TelemetryKeyDef } from '../registry/index.js';
import type { AggregateSource, Scalar } from '../store/index.js';

export const SECOND = 1_000;
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** Points dated before 2000-01-01 are clock errors (an RTC that lost power), not history. */
export const EARLIEST_TS = Date.UTC(2000, 0, 1);
/** How far ahead of the server's clock a device's timestamp may be (clock skew). */
export const FUTURE_TOLERANCE_MS = 10 * MINUTE;

export interface ValidPoint {
  readonly key: string;
  readonly ts: number;
  readonly value: Scalar;
}

/** What validation needs of a profile. */
export interface ProfileRules {
  readonly telemetry: Readonly<Record<string, TelemetryKeyDef>>;
  readonly retentionDays: number;
}

/** Why a timestamp is refused, or undefined when it is usable (ms, already rounded). */
export function timestampProblem(ts: number, receivedAt: number, retentionDays: number): string | undefined {
  if (!Number.isFinite(ts)) return 'timestamp is not a number';
  if (ts < EARLIEST_TS) return `timestamp ${ts} is before 2000-01-01 (device clock not set?)`;
  if (ts > receivedAt + FUTURE_TOLERANCE_MS) {
    return `timestamp ${new Date(ts).toISOString()} is more than 10 minutes in the future`;
  }
  if (ts < receivedAt - retentionDays * DAY) {
    return `timestamp ${new Date(ts).toISOString()} is older than the profile's retention of ${retentionDays} days`;
  }
  return undefined;
}

function typeOf(v: Scalar): 'number' | 'boolean' | 'string' {
  return typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'string';
}

/**
 * Checks decoded points against the profile: timestamp sanity, declared type,
 * range and unit. Undeclared keys are kept (a profile declares what it wants
 * checked). Each refused point gets a reason; the others are kept.
 */
export function validatePoints(
  points: readonly { key: string; value: Scalar; ts?: number; unit?: string }[],
  profile: ProfileRules,
  receivedAt: number,
  /** Time given to points that carry none (default: receivedAt). */
  stamp: number = receivedAt,
): { valid: ValidPoint[]; rejected: ItemRejection[] } {
  const valid: ValidPoint[] = [];
  const rejected: ItemRejection[] = [];
  for (const p of points) {
    const ts = p.ts === undefined ? stamp : Math.round(p.ts);
    const bad =
      timestampProblem(ts, receivedAt, profile.retentionDays) ??
      nulProblem(p) ??
      valueProblem(p, profile.telemetry[p.key]);
    if (bad) rejected.push({ key: p.key, reason: bad });
    else valid.push({ key: p.key, ts, value: p.value });
  }
  return { valid, rejected };
}

/** U+0000 in a key or text value: PostgreSQL text cannot hold it, so no backend takes it. */
function nulProblem(p: { key: string; value: Scalar }): string | undefined {
  if (p.key.includes('\u0000')) return 'keys must not contain the character U+0000';
  if (typeof p.value === 'string' && p.value.includes('\u0000'))
    return 'text values must not contain the character U+0000';
  return undefined;
}

function valueProblem(
  p: { value: Scalar; unit?: string },
  def: TelemetryKeyDef | undefined,
): string | undefined {
  if (!def) return undefined;
  const t = typeOf(p.value);
  if (t !== def.type) return `expected a ${def.type}, got a ${t}`;
  if (t === 'number') {
    const v = p.value as number;
    if (def.min !== undefined && v < def.min) return `${v} is below the minimum ${def.min}`;
    if (def.max !== undefined && v > def.max) return `${v} is above the maximum ${def.max}`;
  }
  if (p.unit !== undefined && def.unit !== undefined && p.unit !== def.unit) {
    return `unit ${p.unit} does not match the profile's ${def.unit}`;
  }
  return undefined;
}

/** The profile's key mappings (raw field → key, scale, offset) in the codecs' form. */
export function mappingsOf(telemetry: Readonly<Record<string, TelemetryKeyDef>>) {
  const out: { key: string; source?: string; scale?: number; offset?: number }[] = [];
  for (const [key, def] of Object.entries(telemetry)) {
    if (def.source === undefined && def.scale === undefined && def.offset === undefined) continue;
    out.push({
      key,
      ...(def.source === undefined ? {} : { source: def.source }),
      ...(def.scale === undefined ? {} : { scale: def.scale }),
      ...(def.offset === undefined ? {} : { offset: def.offset }),
    });
  }
  return out;
}

// ── queries ──────────────────────────────────────────────────────────────

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: SECOND, m: MINUTE, h: HOUR, d: DAY };

/** `30s`, `5m`, `1h`, `1d`, `250ms` → ms; undefined when malformed. */
export function parseInterval(text: string): number | undefined {
  const m = /^(\d{1,9})(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  return ms > 0 ? ms : undefined;
}

/** Intervals a chart may be downsampled to ("about N points"), smallest first. */
const NICE = [
  SECOND,
  2 * SECOND,
  5 * SECOND,
  10 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  30 * DAY,
];

/** Buckets of `interval` touching [from, to]: buckets start at multiples of the interval. */
export function bucketCount(from: number, to: number, interval: number): number {
  return Math.floor(to / interval) - Math.floor(from / interval) + 1;
}

/** The smallest nice interval giving at most `points` (aligned) buckets over [from, to]. */
export function intervalForPoints(from: number, to: number, points: number): number {
  const nice = NICE.find((i) => bucketCount(from, to, i) <= points);
  if (nice !== undefined) return nice;
  let days = Math.ceil((to - from + 1) / points / DAY);
  while (bucketCount(from, to, days * DAY) > points) days++;
  return days * DAY;
}

/**
 * Where buckets of `interval` come from: hour rollups when the interval is
 * whole hours, minute rollups when whole minutes, raw points otherwise.
 * Rollups hold one summary per minute/hour, so a 30-day chart reads 720 hour
 * rows instead of 2.6 million raw points.
 */
export function sourceFor(interval: number): AggregateSource {
  if (interval % HOUR === 0) return '1h';
  if (interval % MINUTE === 0) return '1m';
  return 'raw';
}

export const AGGREGATES = ['min', 'max', 'avg', 'sum', 'count', 'first', 'last'] as const;
export type Aggregate = (typeof AGGREGATES)[number];

export function parseAggregates(text: string): Aggregate[] | undefined {
  const list = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (list.length === 0 || !list.every((a) => (AGGREGATES as readonly string[]).includes(a)))
    return undefined;
  return [...new Set(list)] as Aggregate[];
}

export { parseTime };
