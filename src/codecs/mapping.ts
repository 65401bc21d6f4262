import type { DecodedPoint } from './model.js';
import { makePoint } from './values.js';

/** A profile's mapping for one telemetry key (from the profile's `telemetry` declarations). */
export interface KeyMapping {
  /** The key the platform stores. */
  readonly key: string;
  /** Raw field name the device sends, when it differs from `key` (e.g. `t` for `temperature`). */
  readonly source?: string;
  /** Numbers are stored as raw × scale + offset. */
  readonly scale?: number;
  readonly offset?: number;
}

/** Significant digits kept after scaling: drops binary noise such as 215 × 0.1 = 21.500000000000004. */
const PRECISION = 15;

/**
 * Applies a profile's key mappings to decoded points (pure; the input is not changed).
 *
 * - A point whose key is some mapping's `source` is renamed to that mapping's
 *   `key`, and scaled.
 * - A point whose key is the `key` of a mapping without `source` is scaled in place.
 * - Everything else passes through unchanged (also a point named like the
 *   `key` of a mapping that has a `source`).
 *
 * Scaling is `raw × scale + offset` (defaults 1 and 0), rounded to 15
 * significant digits, for numbers only: a boolean or string keeps its value
 * (and is still renamed); the profile's type check is the caller's. A result
 * that is not finite (overflow, or a non-finite scale) leaves the point as the
 * device sent it. When two mappings name the same `source`, the first wins.
 *
 * @example
 * applyMapping([{ key: 't', value: 215 }], [{ key: 'temperature', source: 't', scale: 0.1 }]);
 * // → [{ key: 'temperature', value: 21.5 }]
 */
export function applyMapping(
  points: readonly DecodedPoint[],
  mappings: readonly KeyMapping[],
): DecodedPoint[] {
  if (mappings.length === 0) return points.slice();
  const bySource = new Map<string, KeyMapping>();
  const byKey = new Map<string, KeyMapping>();
  for (const m of mappings) {
    const index = m.source === undefined ? byKey : bySource;
    const name = m.source ?? m.key;
    if (!index.has(name)) index.set(name, m);
  }
  const out: DecodedPoint[] = new Array(points.length);
  for (let i = 0; i < points.length; i++) {
    const p = points[i] as DecodedPoint;
    const m = bySource.get(p.key) ?? byKey.get(p.key);
    out[i] = m === undefined ? p : mapPoint(p, m);
  }
  return out;
}

function mapPoint(p: DecodedPoint, m: KeyMapping): DecodedPoint {
  let value = p.value;
  if (typeof value === 'number' && (m.scale !== undefined || m.offset !== undefined)) {
    const scaled = value * (m.scale ?? 1) + (m.offset ?? 0);
    if (!Number.isFinite(scaled)) return p;
    value = Number(scaled.toPrecision(PRECISION));
  }
  if (m.key === p.key && value === p.value) return p;
  return makePoint(m.key, value, p.ts, p.unit);
}
