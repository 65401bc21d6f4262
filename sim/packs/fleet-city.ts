import { type LatLon, Route, type Waypoint } from './fleet-route.js';

/**
 * Lyon, as the fleet pack drives it: a depot at the river port and three
 * delivery loops (city centre, the A7 motorway south, the western suburbs).
 * Limits are the legal ones for a heavy truck; trucks carry a 90 km/h limiter.
 * Coordinates are approximate, about right on a map.
 */

export const DEPOT: LatLon = [45.7283, 4.8296];

/** The depot's fence: a rectangle of about 450 × 470 m around the yard. */
export const DEPOT_AREA: readonly LatLon[] = [
  [45.7263, 4.8266],
  [45.7263, 4.8326],
  [45.7303, 4.8326],
  [45.7303, 4.8266],
];

const w = (name: string, lat: number, lon: number, limit: number): Waypoint => ({
  name,
  at: [lat, lon],
  limit,
});

export const ROUTES: readonly Route[] = [
  new Route('south-motorway', [
    w('depot', ...DEPOT, 50),
    w('Pierre-Bénite', 45.703, 4.825, 110),
    w('Vernaison', 45.648, 4.811, 110),
    w('Givors', 45.59, 4.769, 110),
    w('Feyzin', 45.67, 4.859, 70),
    w('Saint-Fons', 45.708, 4.853, 50),
  ]),
  new Route('city-centre', [
    w('depot', ...DEPOT, 50),
    w('Gerland', 45.7335, 4.84, 50),
    w('Guillotière', 45.753, 4.842, 50),
    w('Part-Dieu', 45.7606, 4.8597, 70),
    w('Villeurbanne', 45.7719, 4.8902, 70),
    w('Bron', 45.738, 4.912, 110),
    w('Vénissieux', 45.706, 4.88, 70),
    w('Saint-Fons', 45.708, 4.853, 50),
  ]),
  new Route('west-suburbs', [
    w('depot', ...DEPOT, 50),
    w('Confluence', 45.74, 4.818, 50),
    w('Oullins', 45.714, 4.807, 70),
    w('Francheville', 45.736, 4.764, 70),
    w('Tassin', 45.763, 4.78, 50),
    w('Vaise', 45.775, 4.805, 50),
    w('Bellecour', 45.7578, 4.832, 50),
    w('Perrache', 45.749, 4.826, 50),
  ]),
];
