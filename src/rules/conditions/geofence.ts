import type { Condition } from './types.js';

/**
 * `geofence(lat, lon) enter depot`: where a device is relative to an area, a
 * circle (great-circle distance from the centre at most `radius` metres) or
 * a polygon of [lat, lon] vertices (at least 3, implicitly closed).
 *
 * A position arrives as two points, one per key, normally with the same ts.
 * The latest lat and lon are kept with their ts, and a position is judged
 * only once both are known with equal ts (complete); until then the answer
 * is undefined, so a lat from one fix is never paired with a lon from
 * another. `inside` and `outside` are levels; `enter` and `exit` are edges,
 * true only on the position that crosses the boundary and false on the next
 * ones. The first position ever has no previous one: enter and exit are false.
 *
 * Distances use the haversine formula on a sphere of the mean Earth radius
 * (error under 0.5 %). Polygons use ray casting on planar (lon, lat)
 * coordinates, which is right for areas of city or region size but not for
 * polygons crossing the antimeridian or containing a pole; a point exactly
 * on an edge may fall on either side.
 */
export interface GeofenceState {
  lat: number | null;
  latTs: number | null;
  lon: number | null;
  lonTs: number | null;
  /** Whether the previous complete position was inside; null before the first. */
  inside: boolean | null;
}

export type GeofenceArea =
  | { circle: { lat: number; lon: number; radius: number } }
  | { polygon: [number, number][] };

/** Mean Earth radius (IUGG), metres. */
export const EARTH_RADIUS_M = 6_371_008.8;

/** Great-circle distance in metres between two positions in degrees. */
export function haversineMetres(
  a: { readonly lat: number; readonly lon: number },
  b: { readonly lat: number; readonly lon: number },
): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Whether [lat, lon] is inside the polygon of [lat, lon] vertices (even-odd ray casting on lon, lat). */
export function insidePolygon(
  point: readonly [number, number],
  polygon: readonly (readonly [number, number])[],
): boolean {
  const [y, x] = point;
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [yi, xi] = polygon[i]!;
    const [yj, xj] = polygon[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function createGeofence(spec: {
  latKey: string;
  lonKey: string;
  area: GeofenceArea;
  trigger: 'enter' | 'exit' | 'inside' | 'outside';
}): Condition<GeofenceState> {
  const { area } = spec;
  const within = (lat: number, lon: number): boolean =>
    'circle' in area
      ? haversineMetres({ lat, lon }, area.circle) <= area.circle.radius
      : insidePolygon([lat, lon], area.polygon);
  return {
    needs: { keys: [spec.latKey, spec.lonKey] },
    initial: () => ({ lat: null, latTs: null, lon: null, lonTs: null, inside: null }),
    step(state, s) {
      if (s.kind !== 'point' || (s.key !== spec.latKey && s.key !== spec.lonKey)) return undefined;
      if (typeof s.value !== 'number' || !Number.isFinite(s.value)) return undefined;
      if (s.key === spec.latKey) {
        state.lat = s.value;
        state.latTs = s.ts;
      } else {
        state.lon = s.value;
        state.lonTs = s.ts;
      }
      if (state.lat === null || state.lon === null || state.latTs !== state.lonTs) return undefined;
      const before = state.inside;
      const now = within(state.lat, state.lon);
      state.inside = now;
      switch (spec.trigger) {
        case 'inside':
          return now;
        case 'outside':
          return !now;
        case 'enter':
          return before === false && now;
        case 'exit':
          return before === true && !now;
      }
    },
  };
}
