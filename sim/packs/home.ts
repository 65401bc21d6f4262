/**
 * Home scenario: thermostats, front doors and lights of a street of homes.
 * The household's day drives everything: it leaves for work (the alarm is
 * armed, a rule sets the thermostat's twin to away, the room cools to eco),
 * comes back (disarmed, comfort again), sleeps (night setpoint). A break-in
 * in one home opens its door while armed: a critical alarm.
 */
import type { DeviceModel, ScenarioPack, SimApi, SimDevice, Timing } from '../pack.js';
import { simDuration } from '../timing.js';
import { checkNumbers, optionError, parseClock } from './daily.js';
import { DEFAULT_CONFIG, FrontDoor, type Household, household, Light, Thermostat } from './home-models.js';

export interface HomeOptions {
  /** Simulated time of day when the run starts, 'HH:MM' (default '07:40': breakfast, about to leave). */
  readonly start?: string;
  /** When the households leave and come back (defaults '08:00', '17:30'; later homes up to 25 min later). */
  readonly leave?: string;
  readonly back?: string;
  /** Homes (1-based) that get a break-in while they are away (default [1]). */
  readonly intrusions?: readonly number[];
  /** Minutes after the household left that the break-in happens (default 20). */
  readonly intrusionAfterMin?: number;
}

const KINDS = ['thermostat', 'door', 'light'] as const;

const profiles = [
  {
    id: 'home-thermostat',
    name: 'Room thermostat',
    description: 'Heats one room; follows comfort/eco/night setpoints and the away flag of its twin',
    telemetry: {
      temperature: { type: 'number', unit: '°C', min: -20, max: 45, description: 'room temperature' },
      setpoint: { type: 'number', unit: '°C', min: 5, max: 30 },
      heater: { type: 'number', unit: '%', min: 0, max: 100, description: 'boiler duty' },
      outside: { type: 'number', unit: '°C', min: -40, max: 50 },
      occupied: { type: 'boolean', description: 'someone is at home (motion and phones)' },
      mode: { type: 'string', description: 'comfort, night or away' },
    },
  },
  {
    id: 'home-door',
    name: 'Front door sensor',
    description: 'Contact sensor and alarm panel of the front door',
    telemetry: {
      open: { type: 'boolean' },
      armed: { type: 'boolean', description: 'the alarm is armed (nobody home)' },
      battery: { type: 'number', unit: '%', min: 0, max: 100 },
    },
  },
  {
    id: 'home-light',
    name: 'Smart light',
    description: 'Living-room light; command switch {"on": true|false}',
    telemetry: { on: { type: 'boolean' }, power: { type: 'number', unit: 'W', min: 0, max: 500 } },
  },
] as const;

/** The home pack; options move the story in time (tests make it happen in the first seconds). */
export function createHomePack(opts: HomeOptions = {}): ScenarioPack {
  const startS = parseClock(opts.start ?? '07:40', 'start');
  const leaveS = parseClock(opts.leave ?? '08:00', 'leave');
  const backS = parseClock(opts.back ?? '17:30', 'back');
  const intrusions = opts.intrusions ?? [1];
  checkNumbers(intrusions, 'intrusions');
  const afterMin = opts.intrusionAfterMin ?? 20;
  if (!Number.isFinite(afterMin) || afterMin < 1 || afterMin > 600)
    throw optionError(`intrusionAfterMin must be 1-600 minutes, got ${afterMin}`);
  const homeOf = (k: number): Household => household(k, leaveS, backS, intrusions.includes(k), afterMin * 60);

  return {
    name: 'home',
    title: 'Smart homes: thermostats following their twin, doors with an alarm, lights',
    description:
      'Each home has a thermostat, a front door and a light. The household leaves in the morning: the door ' +
      'arms, rule home-away sets the thermostat twin to away (eco setpoint) and the room cools; it comes back ' +
      'in the evening (comfort again) and sleeps (night setpoint). Home 1 has a break-in while away: rule ' +
      'home-intrusion raises a critical "intrusion" alarm. Dashboard: a thermostat\'s temperature against its ' +
      'setpoint, its twin (desired vs reported), the alarms page.',
    defaults: { devices: 9, intervalS: 5 },
    profiles,
    rules: (t: Timing) => [
      {
        name: 'home-intrusion',
        description: 'The front door opened while the alarm is armed (nobody home)',
        target: { profile: 'home-door' },
        condition: { type: 'event', eventType: 'door_open', where: { armed: true } },
        alarm: {
          type: 'intrusion',
          severity: 'critical',
          message: '{{device}}: front door opened while the home is armed',
          autoClear: false,
        },
      },
      {
        name: 'home-away',
        description: 'Nobody home for 10 minutes: the thermostat goes to eco; back to its schedule on return',
        target: { profile: 'home-thermostat' },
        condition: { type: 'threshold', key: 'occupied', op: '==', value: false, for: simDuration(600, t) },
        actions: [
          { type: 'twin', on: 'fire', desired: { away: true } },
          { type: 'twin', on: 'clear', desired: { away: false } },
        ],
        throttle: '0s',
      },
      {
        name: 'home-too-cold',
        description: 'A room under 12 °C for 30 minutes: heating failure or a window left open',
        target: { profile: 'home-thermostat' },
        condition: { type: 'threshold', key: 'temperature', op: '<', value: 12, for: simDuration(1800, t) },
        alarm: { type: 'too-cold', severity: 'warning', message: '{{device}} is at {{value}} °C' },
      },
    ],
    devices: (n: number): SimDevice[] => {
      if (!Number.isInteger(n) || n < 1) throw optionError(`devices must be a whole number >= 1, got ${n}`);
      return Array.from({ length: n }, (_, i) => {
        const home = Math.floor(i / KINDS.length) + 1;
        const kind = KINDS[i % KINDS.length] as (typeof KINDS)[number];
        return { id: `home-${kind}-${home}`, profile: `home-${kind}`, labels: { home: `home-${home}` } };
      });
    },
    model: (d: SimDevice, _index: number, _t: Timing, rng: () => number): DeviceModel => {
      const m = /^home-(thermostat|door|light)-(\d+)$/.exec(d.id);
      if (!m) throw optionError(`${d.id} is not a home device (home-<thermostat|door|light>-<n>)`);
      const home = homeOf(Number(m[2]));
      if (m[1] === 'thermostat') return new Thermostat(home, startS, rng);
      if (m[1] === 'door') return new FrontDoor(home, startS, rng);
      return new Light(home, startS, 6 + Math.round(10 * rng()));
    },
    setup: async (api: SimApi) => {
      // Each thermostat's schedule lives in its twin's desired state: set it where it is not set yet
      // (a second run keeps what an operator changed).
      const schedule = { ...DEFAULT_CONFIG } as Partial<typeof DEFAULT_CONFIG>;
      delete schedule.away;
      for (const id of await listDevices(api, 'home-thermostat')) {
        const twin = await api.request<{ desired?: Record<string, unknown> }>(
          'GET',
          `/api/v1/devices/${id}/twin`,
        );
        if (twin.desired?.comfort === undefined)
          await api.request('PATCH', `/api/v1/devices/${id}/twin`, { desired: schedule });
      }
    },
  };
}

/** Ids of the tenant's devices of a profile (every page). */
export async function listDevices(api: SimApi, profile: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const q = `profile=${encodeURIComponent(profile)}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = await api.request<{ items: { id: string }[]; next?: string }>('GET', `/api/v1/devices?${q}`);
    ids.push(...page.items.map((d) => d.id));
    cursor = page.next;
  } while (cursor);
  return ids;
}

export const homePack: ScenarioPack = createHomePack();
export const pack = homePack;
export default homePack;
