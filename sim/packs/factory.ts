import type { ScenarioPack, SimDevice, Timing } from '../pack.js';
import { between } from '../rng.js';
import { simDuration } from '../timing.js';
import { Machine, type MachineFault } from './factory-machine.js';

/**
 * Industrial automation (issue #9, pack 1): machine tools whose spindle
 * bearings wear out. A failing bearing gives impacts (unusual vibration),
 * then a vibration level over ISO 10816's 4.5 mm/s, then heat; the rules
 * raise a maintenance alarm, an overheat alarm, and stop the machine when
 * it has run over 90 °C for 5 minutes. The machine obeys and cools down.
 */

export interface FactoryOptions {
  /**
   * Which machines (by index) get a bearing fault. Default: the first, and
   * each other one with odds of 15 % drawn from the seed.
   */
  readonly faulty?: readonly number[];
  /** Sim seconds from the start to the fault's onset (default: drawn from the seed, 1-4 min for the first machine). */
  readonly faultAtS?: number;
  /** Sim seconds for a bearing to go from sound to worn out (default: about 10 min, from the seed). */
  readonly faultGrowthS?: number;
}

export const PROFILE = 'factory-machine';
export const GROUP = 'factory-machines';
const KINDS = ['press', 'lathe', 'mill', 'grinder'] as const;

/** Rule bodies; every duration is sim time (÷ speed). */
function rules(t: Timing): Record<string, unknown>[] {
  const target = { profile: PROFILE };
  return [
    {
      name: 'factory-bearing-maintenance',
      description:
        'Bearing wear: vibration impacts unlike the machine’s own baseline, or a high average level',
      target,
      condition: {
        type: 'any',
        conditions: [
          { type: 'anomaly', key: 'vibration', threshold: 8, alpha: 0.05, warmup: 30 },
          { type: 'window', key: 'vibration', agg: 'avg', window: simDuration(120, t), op: '>', value: 4.5 },
        ],
      },
      alarm: {
        type: 'maintenance',
        severity: 'major',
        message: '{{device}}: vibration {{value}} mm/s, plan a bearing inspection',
        autoClear: false, // a worn bearing stays worn: someone clears this after the repair
      },
    },
    {
      name: 'factory-overheat',
      description: 'Spindle over 90 °C for a minute',
      target,
      condition: { type: 'threshold', key: 'temperature', op: '>', value: 90, for: simDuration(60, t) },
      alarm: {
        type: 'overheat',
        severity: 'critical',
        message: '{{device}} is at {{value}} °C',
        autoClear: true,
      },
    },
    {
      name: 'factory-shutdown',
      description: 'Stop a machine that has run over 90 °C for 5 minutes, before the bearing seizes',
      target,
      condition: { type: 'threshold', key: 'temperature', op: '>', value: 90, for: simDuration(300, t) },
      actions: [{ type: 'command', name: 'shutdown', params: { reason: '{{rule}}: {{value}} °C' } }],
      throttle: simDuration(600, t),
    },
  ];
}

function devices(n: number): SimDevice[] {
  return Array.from({ length: n }, (_, i) => {
    const kind = KINDS[i % KINDS.length] as string;
    return {
      id: `factory-${kind}-${i + 1}`,
      profile: PROFILE,
      groups: [GROUP],
      labels: { kind, line: `line-${Math.floor(i / 5) + 1}` },
    };
  });
}

/** The factory pack, with fault injection for tests and demos. */
export function createFactoryPack(opts: FactoryOptions = {}): ScenarioPack {
  return {
    name: 'factory',
    title: 'Factory: machine tools whose bearings wear out, maintenance alarms and automatic shutdown',
    description:
      'Machines report spindle temperature (°C), vibration (mm/s RMS), speed (rpm) and state. A bearing ' +
      'fault on some of them (the first machine always, others by the seed) makes vibration spike and ' +
      'drift up and the temperature climb. Rules raise a "maintenance" alarm (unusual or high vibration), ' +
      'an "overheat" alarm (over 90 °C for 1 min) and send "shutdown" after 5 min over 90 °C; the machine ' +
      'obeys: rpm drops to 0 and it cools toward ambient. In the dashboard: Alarms, then the machine’s ' +
      'page, whose temperature chart falls after the shutdown. Durations are sim time: --speed 30 shows ' +
      'the whole story in about a minute.',
    defaults: { devices: 10, intervalS: 2 },
    profiles: [
      {
        id: PROFILE,
        name: 'Machine tool',
        description: 'Spindle condition monitoring (plexus sim factory)',
        telemetry: {
          temperature: { type: 'number', unit: '°C', description: 'Spindle bearing temperature' },
          vibration: { type: 'number', unit: 'mm/s', description: 'Velocity RMS (ISO 10816)' },
          rpm: { type: 'number', unit: 'rpm', description: 'Spindle speed' },
          state: { type: 'string', description: 'running or stopped' },
        },
      },
    ],
    groups: [{ id: GROUP, name: 'Factory machines', description: 'Machines of plexus sim factory' }],
    rules,
    devices,
    model(_d, index, _t, rng) {
      // Draw in a fixed order, whatever the options, so a seed means the same fleet.
      const lucky = rng() >= 0.15;
      const onset = index === 0 ? between(rng, 60, 240) : between(rng, 60, 1800);
      const growth = between(rng, 480, 720);
      const faulty = opts.faulty ? opts.faulty.includes(index) : index === 0 || !lucky;
      const fault: MachineFault = faulty
        ? { atS: opts.faultAtS ?? onset, growthS: opts.faultGrowthS ?? growth }
        : { atS: Number.POSITIVE_INFINITY, growthS: 1 };
      return new Machine(rng, fault);
    },
  };
}

export const factoryPack: ScenarioPack = createFactoryPack();
