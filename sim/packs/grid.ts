/**
 * Grid scenario: one low-voltage feeder with household smart meters,
 * flexible loads (EV charging hubs) and the feeder's sensor. The evening
 * peak (the day's demand curve, compressed by --speed) pushes the feeder
 * over 90 %; rule grid-feeder-overload raises an alarm and sends `shed` to
 * every flexible load, which caps its charging and reports it; the feeder's
 * load falls back. Meters report their kWh register for billing.
 */
import type { DeviceModel, ScenarioPack, SimDevice, Timing } from '../pack.js';
import { simDuration } from '../timing.js';
import { optionError, parseClock } from './daily.js';
import { FeederBus, FeederSensor, FlexLoad, Meter } from './grid-models.js';

export interface GridOptions {
  /** Simulated time of day at the start, 'HH:MM' (default '17:30': the evening ramp). */
  readonly start?: string;
  /** Flexible loads on the feeder (default 4, 1-8: the rule has a shed action per load). */
  readonly flexLoads?: number;
  /** Feeder load (%) above which loads are shed (default 90). */
  readonly threshold?: number;
  /** What a shed leaves a load (share of its rating, default 0.2) and for how long (sim minutes, default 60). */
  readonly shedLevel?: number;
  readonly shedMinutes?: number;
}

const FLEX_GROUP = 'grid-flexible';
const energyKeys = {
  power: { type: 'number', unit: 'kW', min: 0, max: 100_000 },
  energy: { type: 'number', unit: 'kWh', min: 0, description: 'cumulative import register (billing)' },
  voltage: { type: 'number', unit: 'V', min: 0, max: 300 },
};
const profiles = [
  {
    id: 'grid-meter',
    name: 'Household smart meter',
    description: 'Demand and energy register',
    telemetry: energyKeys,
  },
  {
    id: 'grid-flex',
    name: 'Flexible load (EV charging hub)',
    description: 'Demand-response contract: commands shed {level, minutes} and restore',
    telemetry: { ...energyKeys, shed: { type: 'boolean', description: 'capped by a demand-response event' } },
  },
  {
    id: 'grid-feeder',
    name: 'Feeder sensor',
    description: 'Feeder head: load against capacity, power, voltage',
    telemetry: {
      load: { type: 'number', unit: '%', min: 0, max: 500 },
      power: { type: 'number', unit: 'kW', min: 0 },
      voltage: { type: 'number', unit: 'V', min: 0, max: 300 },
    },
  },
];

const number = (v: unknown, lo: number, hi: number, what: string, int = false): number => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (int && !Number.isInteger(v)))
    throw optionError(`${what} must be a ${int ? 'whole ' : ''}number from ${lo} to ${hi}, got ${String(v)}`);
  return v;
};

/**
 * The grid pack. One run at a time per pack object: its models share the
 * feeder's state, made afresh by each call of devices().
 */
export function createGridPack(opts: GridOptions = {}): ScenarioPack {
  const startS = parseClock(opts.start ?? '17:30', 'start');
  const flex = number(opts.flexLoads ?? 4, 1, 8, 'flexLoads', true);
  const threshold = number(opts.threshold ?? 90, 1, 200, 'threshold');
  const level = number(opts.shedLevel ?? 0.2, 0, 1, 'shedLevel');
  const minutes = number(opts.shedMinutes ?? 60, 1, 1440, 'shedMinutes');
  const minDevices = flex + 2;
  let bus: FeederBus | undefined;

  return {
    name: 'grid',
    title: 'Smart grid: meters, EV charging hubs and a feeder shedding load at the evening peak',
    description:
      `One feeder with household meters (kW, kWh register) and ${flex} EV charging hubs under a demand-response ` +
      `contract (group ${FLEX_GROUP}). The evening peak pushes the feeder over ${threshold} %: rule ` +
      'grid-feeder-overload raises a feeder-overload alarm and sends shed to every hub, which caps its charging; ' +
      "the feeder load falls back. Dashboard: grid-feeder-1 load and voltage, a hub's power and shed flag, " +
      "its commands, a meter's energy per hour.",
    defaults: { devices: 20, intervalS: 5 },
    profiles,
    groups: [
      {
        id: FLEX_GROUP,
        name: 'Flexible loads',
        description: 'Loads under a demand-response contract (shed/restore)',
      },
    ],
    rules: (t: Timing) => [
      {
        name: 'grid-feeder-overload',
        description: `Feeder over ${threshold} % for 5 minutes: shed the flexible loads`,
        target: { profile: 'grid-feeder' },
        condition: { type: 'threshold', key: 'load', op: '>', value: threshold, for: simDuration(300, t) },
        alarm: {
          type: 'feeder-overload',
          severity: 'major',
          message: '{{device}} at {{value}} % of capacity',
        },
        // A command action names one device: one per flexible load (the group fan-out,
        // POST /api/v1/groups/grid-flexible/commands, is for operators).
        actions: Array.from({ length: flex }, (_, i) => ({
          type: 'command',
          device: `grid-flex-${i + 1}`,
          name: 'shed',
          params: { level, minutes, feeder: '{{device}}' },
          timeout: '30s',
        })),
        throttle: simDuration(minutes * 60, t),
      },
      {
        name: 'grid-undervoltage',
        description: 'Feeder voltage under 216.2 V (-6 %) for a minute',
        target: { profile: 'grid-feeder' },
        condition: { type: 'threshold', key: 'voltage', op: '<', value: 216.2, for: simDuration(60, t) },
        alarm: { type: 'undervoltage', severity: 'warning', message: '{{device}} at {{value}} V' },
      },
    ],
    devices: (n: number): SimDevice[] => {
      if (!Number.isInteger(n) || n < minDevices)
        throw optionError(
          `grid needs at least ${minDevices} devices (a feeder, ${flex} flexible loads and a meter), got ${n}`,
        );
      bus = new FeederBus(n - 1 - flex, flex);
      const labels = { feeder: 'feeder-1' };
      return [
        { id: 'grid-feeder-1', profile: 'grid-feeder', labels },
        ...Array.from({ length: flex }, (_, i) => ({
          id: `grid-flex-${i + 1}`,
          profile: 'grid-flex',
          groups: [FLEX_GROUP],
          labels,
        })),
        ...Array.from({ length: n - 1 - flex }, (_, i) => ({
          id: `grid-meter-${i + 1}`,
          profile: 'grid-meter',
          labels,
        })),
      ];
    },
    model: (d: SimDevice, _index: number, _t: Timing, rng: () => number): DeviceModel => {
      if (!bus) throw optionError('grid: devices() makes the feeder; call it before model()');
      const m = /^grid-(feeder|flex|meter)-(\d+)$/.exec(d.id);
      if (!m) throw optionError(`${d.id} is not a grid device (grid-<feeder|flex|meter>-<n>)`);
      if (m[1] === 'feeder') return new FeederSensor(bus, rng);
      if (m[1] === 'flex') return new FlexLoad(d.id, bus, startS, rng);
      return new Meter(d.id, bus, startS, rng);
    },
  };
}

export const gridPack: ScenarioPack = createGridPack();
export const pack = gridPack;
export default gridPack;
