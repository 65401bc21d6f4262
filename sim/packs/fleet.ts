import type { ScenarioPack, SimDevice, Timing } from '../pack.js';
import { between } from '../rng.js';
import { simDuration } from '../timing.js';
import { DEPOT_AREA, ROUTES } from './fleet-city.js';
import { Truck, type TruckFaults } from './fleet-truck.js';

/**
 * Fleet management (issue #9, pack 2): delivery trucks around Lyon report
 * GPS (`lat`, `lon`: the keys the geofence condition and the dashboard's map
 * read), speed, fuel, heading and odometer. Rules: leaving and entering the
 * depot (geofence), speeding (over 90 km/h for 30 s), low fuel (under 10 %),
 * stopped on the road (under 1 km/h for 10 min outside the depot), and no
 * signal (nothing for 15 min).
 */

export interface FleetOptions {
  /** Trucks (by index) with each fault. Default: truck 1 speeds, 2 leaves nearly empty, 3 breaks down, 4 goes silent; others by the seed (10 % each). */
  readonly speeding?: readonly number[];
  readonly lowFuel?: readonly number[];
  readonly breakdown?: readonly number[];
  readonly silent?: readonly number[];
  /** Sim seconds from the start to a breakdown (default 20-40 min, from the seed) and how long it lasts (default 20-30 min). */
  readonly breakdownAtS?: number;
  readonly breakdownForS?: number;
  /** Sim seconds from the start to a tracker going silent (default 15-45 min) and for how long (default 20 min). */
  readonly silentAtS?: number;
  readonly silentForS?: number;
  /** Sim seconds between two trucks leaving the depot at the start (default 120). */
  readonly departEveryS?: number;
}

export const PROFILE = 'fleet-truck';
export const GROUP = 'fleet-trucks';
const depot = { polygon: DEPOT_AREA.map(([lat, lon]) => [lat, lon]) };

function rules(t: Timing): Record<string, unknown>[] {
  const target = { profile: PROFILE };
  const alarm = (type: string, severity: string, message: string) => ({
    type,
    severity,
    message,
    autoClear: true,
  });
  return [
    {
      name: 'fleet-depot-exit',
      description: 'A truck leaves the depot',
      target,
      condition: { type: 'geofence', area: depot, trigger: 'exit' },
      alarm: alarm('depot-exit', 'info', '{{device}} left the depot'),
    },
    {
      name: 'fleet-depot-enter',
      description: 'A truck is back at the depot',
      target,
      condition: { type: 'geofence', area: depot, trigger: 'enter' },
      alarm: alarm('depot-enter', 'info', '{{device}} is back at the depot'),
    },
    {
      name: 'fleet-speeding',
      description: 'Over 90 km/h (the legal limit of a heavy truck) for 30 s',
      target,
      condition: { type: 'threshold', key: 'speed', op: '>', value: 90, for: simDuration(30, t) },
      alarm: alarm('speeding', 'warning', '{{device}} at {{value}} km/h'),
    },
    {
      name: 'fleet-low-fuel',
      description: 'Under 10 % of the tank',
      target,
      condition: { type: 'threshold', key: 'fuel', op: '<', value: 10 },
      alarm: alarm('low-fuel', 'minor', '{{device}} has {{value}} % fuel left'),
    },
    {
      name: 'fleet-stopped',
      description: 'Standing still on the road (outside the depot) for 10 min',
      target,
      condition: {
        type: 'all',
        conditions: [
          { type: 'threshold', key: 'speed', op: '<', value: 1, for: simDuration(600, t) },
          { type: 'geofence', area: depot, trigger: 'outside' },
        ],
      },
      alarm: alarm('stopped', 'major', '{{device}} has not moved for 10 minutes'),
    },
    {
      name: 'fleet-no-signal',
      description: 'No data from the tracker for 15 min',
      target,
      condition: { type: 'inactivity', after: simDuration(900, t) },
      alarm: alarm('no-signal', 'major', '{{device}} has sent nothing for 15 minutes'),
    },
  ];
}

function devices(n: number): SimDevice[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `fleet-truck-${i + 1}`,
    profile: PROFILE,
    groups: [GROUP],
    labels: { route: (ROUTES[i % ROUTES.length] ?? ROUTES[0])?.name ?? 'none' },
  }));
}

export function createFleetPack(opts: FleetOptions = {}): ScenarioPack {
  return {
    name: 'fleet',
    title: 'Fleet: delivery trucks around Lyon with depot geofence, speeding, low fuel and stop alarms',
    description:
      'Trucks leave a depot in Lyon, drive one of three loops (city centre, the A7 motorway, the western ' +
      'suburbs) and come back to load and refuel. They report lat/lon, speed (km/h), fuel (%), heading and ' +
      'odometer. One driver speeds on the motorway, one truck leaves nearly empty, one breaks down on the ' +
      'road, one tracker goes silent (trucks 1-4; others by the seed). Alarms: depot-exit/depot-enter ' +
      '(geofence), speeding (> 90 km/h for 30 s), low-fuel (< 10 %), stopped (10 min still outside the ' +
      'depot), no-signal (15 min of silence). In the dashboard: the Map page, then Alarms.',
    defaults: { devices: 10, intervalS: 5 },
    profiles: [
      {
        id: PROFILE,
        name: 'Delivery truck',
        description: 'Telematics box of a delivery truck (plexus sim fleet)',
        telemetry: {
          lat: { type: 'number', unit: '°', description: 'Latitude (WGS 84)' },
          lon: { type: 'number', unit: '°', description: 'Longitude (WGS 84)' },
          speed: { type: 'number', unit: 'km/h' },
          fuel: { type: 'number', unit: '%', description: 'Diesel left in the tank' },
          heading: { type: 'number', unit: '°', description: 'Clockwise from north' },
          odometer: { type: 'number', unit: 'km' },
        },
      },
    ],
    groups: [{ id: GROUP, name: 'Delivery trucks', description: 'Trucks of plexus sim fleet' }],
    rules,
    devices,
    model(_d, index, _t, rng) {
      // A fixed number of draws in a fixed order: the same seed, the same fleet.
      const odds = [rng(), rng(), rng(), rng()];
      const breakAt = between(rng, 1200, 2400);
      const breakFor = between(rng, 1200, 1800);
      const silentAt = between(rng, 900, 2700);
      const has = (list: readonly number[] | undefined, nth: number, draw: number) =>
        list ? list.includes(index) : index === nth || (index > 3 && draw < 0.1);
      const faults: TruckFaults = {
        speeding: has(opts.speeding, 0, odds[0] as number),
        lowFuel: has(opts.lowFuel, 1, odds[1] as number),
        ...(has(opts.breakdown, 2, odds[2] as number)
          ? { breakdown: { atS: opts.breakdownAtS ?? breakAt, forS: opts.breakdownForS ?? breakFor } }
          : {}),
        ...(has(opts.silent, 3, odds[3] as number)
          ? { silent: { atS: opts.silentAtS ?? silentAt, forS: opts.silentForS ?? 1200 } }
          : {}),
      };
      const route = ROUTES[index % ROUTES.length] ?? (ROUTES[0] as (typeof ROUTES)[number]);
      return new Truck(route, rng, faults, index * (opts.departEveryS ?? 120));
    },
  };
}

export const fleetPack: ScenarioPack = createFleetPack();
