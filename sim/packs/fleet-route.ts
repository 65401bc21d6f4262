/**
 * Geography of the fleet pack: routes as loops of waypoints, positions along
 * them by distance travelled. Over city distances (a few km per leg) linear
 * interpolation in lat/lon stays within metres of the great circle, so legs
 * are straight in lat/lon and measured with the haversine formula.
 */

export type LatLon = readonly [lat: number, lon: number];

export interface Waypoint {
  readonly at: LatLon;
  /** Speed limit on the leg that starts here, km/h. */
  readonly limit: number;
  readonly name: string;
}

const EARTH_RADIUS_M = 6_371_008.8;
const rad = (deg: number) => (deg * Math.PI) / 180;

export function haversineMetres(a: LatLon, b: LatLon): number {
  const dLat = rad(b[0] - a[0]);
  const dLon = rad(b[1] - a[1]);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a[0])) * Math.cos(rad(b[0])) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Initial bearing from a to b, degrees clockwise from north (0-360). */
export function bearing(a: LatLon, b: LatLon): number {
  const y = Math.sin(rad(b[1] - a[1])) * Math.cos(rad(b[0]));
  const x =
    Math.cos(rad(a[0])) * Math.sin(rad(b[0])) -
    Math.sin(rad(a[0])) * Math.cos(rad(b[0])) * Math.cos(rad(b[1] - a[1]));
  return ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360;
}

export interface Position {
  readonly at: LatLon;
  /** Speed limit where the truck is, km/h. */
  readonly limit: number;
  readonly heading: number;
  /** Index of the leg (0 = leaving the first waypoint). */
  readonly leg: number;
}

/** A closed loop: after the last waypoint the route goes back to the first. */
export class Route {
  readonly name: string;
  readonly waypoints: readonly Waypoint[];
  /** Distance from the start to each waypoint, metres; the last entry is the whole loop. */
  readonly #cumulative: number[];

  constructor(name: string, waypoints: readonly Waypoint[]) {
    if (waypoints.length < 2) throw new Error(`route ${name} needs at least two waypoints`);
    this.name = name;
    this.waypoints = waypoints;
    this.#cumulative = [0];
    waypoints.forEach((w, i) => {
      const next = waypoints[(i + 1) % waypoints.length] as Waypoint;
      this.#cumulative.push((this.#cumulative[i] as number) + haversineMetres(w.at, next.at));
    });
  }

  get length(): number {
    return this.#cumulative[this.waypoints.length] as number;
  }

  /** Where one is after `distance` metres from the start (wrapping round the loop). */
  at(distance: number): Position {
    const d = ((distance % this.length) + this.length) % this.length;
    let leg = 0;
    while (leg < this.waypoints.length - 1 && (this.#cumulative[leg + 1] as number) <= d) leg++;
    const from = this.waypoints[leg] as Waypoint;
    const to = this.waypoints[(leg + 1) % this.waypoints.length] as Waypoint;
    const start = this.#cumulative[leg] as number;
    const f = (d - start) / ((this.#cumulative[leg + 1] as number) - start || 1);
    const at: LatLon = [from.at[0] + (to.at[0] - from.at[0]) * f, from.at[1] + (to.at[1] - from.at[1]) * f];
    return { at, limit: from.limit, heading: bearing(from.at, to.at), leg };
  }
}

/** Even-odd ray casting over [lat, lon] vertices (small areas, no antimeridian). */
export function insidePolygon(p: LatLon, polygon: readonly LatLon[]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [yi, xi] = polygon[i] as LatLon;
    const [yj, xj] = polygon[j] as LatLon;
    if (yi > p[0] !== yj > p[0] && p[1] < ((xj - xi) * (p[0] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
