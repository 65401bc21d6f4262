/**
 * The health pack's wearable: heart rate and SpO2 around the patient's own
 * baseline (a calm adult: 58-82 bpm, 95.5-98.5 %), moved by activity and
 * the time of day, with sensor noise; an injected episode (tachycardia:
 * the rate jumps within seconds; desaturation: SpO2 slides down over a
 * couple of minutes) and the recovery after it.
 */
import type { DeviceModel } from '../pack.js';
import { approach, clamp, gaussian, ouStep, round, SimClock } from './daily.js';

export type EpisodeKind = 'tachycardia' | 'desaturation';
export const EPISODE_KINDS: readonly EpisodeKind[] = ['tachycardia', 'desaturation'];

export interface Episode {
  readonly kind: EpisodeKind;
  /** Sim seconds after the start of the run. */
  readonly atS: number;
  readonly durationS: number;
}

export interface Baseline {
  readonly heartRate: number;
  readonly spo2: number;
  readonly skinTemp: number;
}

/** The patient's resting values, drawn from the device's seeded RNG. */
export function baselineOf(rng: () => number): Baseline {
  return {
    heartRate: round(58 + 24 * rng(), 1),
    spo2: round(95.5 + 3 * rng(), 1),
    skinTemp: round(33 + 1.5 * rng(), 1),
  };
}

/** One reading (a type alias, so it is also a telemetry record). */
export type WearableReading = { heart_rate: number; spo2: number; skin_temp: number; battery: number };

const TACHY_RISE = 75; // bpm above the baseline: about 135-160
const DESAT_TO = 84.5; // % SpO2 at the bottom of a desaturation

export class Wearable implements DeviceModel {
  heartRate: number;
  spo2: number;
  readings = 0;
  battery: number;
  /** Sim seconds after the start when each episode really began (it waits for the baseline), by index. */
  readonly began: (number | undefined)[];
  #activity = 0;
  #hrNoise = 0;
  #spo2Noise = 0;
  #tachy = 0; // bpm added by an episode
  #desat = 0; // % taken by an episode
  #elapsed = 0;
  readonly #clock: SimClock;

  constructor(
    readonly base: Baseline,
    readonly episodes: readonly Episode[],
    /** An episode waits for this many readings: the platform's anomaly rule learns the baseline first. */
    readonly minReadings: number,
    startS: number,
    readonly rng: () => number,
  ) {
    this.#clock = new SimClock(startS);
    this.heartRate = base.heartRate;
    this.spo2 = base.spo2;
    this.battery = 70 + 30 * rng();
    this.began = episodes.map(() => undefined);
  }

  /** The episode kinds going on now. */
  active(): EpisodeKind[] {
    return this.episodes
      .filter((e, i) => {
        const b = this.began[i];
        return b !== undefined && this.#elapsed < b + e.durationS;
      })
      .map((e) => e.kind);
  }

  step(_now: number, dt: number): WearableReading {
    this.#elapsed += dt;
    this.#clock.advance(dt);
    this.episodes.forEach((e, i) => {
      if (this.began[i] === undefined && this.#elapsed >= e.atS && this.readings >= this.minReadings)
        this.began[i] = this.#elapsed;
    });
    const active = this.active();
    // Tachycardia sets in within seconds and fades over minutes; desaturation slides over minutes.
    this.#tachy = active.includes('tachycardia')
      ? approach(this.#tachy, TACHY_RISE, dt, 20)
      : approach(this.#tachy, 0, dt, 120);
    const desatDepth = Math.max(0, this.base.spo2 - DESAT_TO);
    this.#desat = active.includes('desaturation')
      ? approach(this.#desat, desatDepth, dt, 90)
      : approach(this.#desat, 0, dt, 180);

    this.#activity = ouStep(this.#activity, dt, 900, 0.08, this.rng);
    this.#hrNoise = ouStep(this.#hrNoise, dt, 30, 1.5, this.rng);
    this.#spo2Noise = ouStep(this.#spo2Noise, dt, 120, 0.4, this.rng);
    const daily = 4 * Math.cos((2 * Math.PI * (this.#clock.hour - 15)) / 24); // lowest in the night
    const activity = 30 * clamp(0.15 + this.#activity, 0, 1);
    this.heartRate = this.base.heartRate + daily + activity - 4.5 + this.#hrNoise + this.#tachy;
    this.spo2 = clamp(this.base.spo2 + this.#spo2Noise - this.#desat, 70, 100);
    this.battery = Math.max(0, this.battery - dt / 3600);
    this.readings++;
    return {
      heart_rate: Math.round(this.heartRate + 0.8 * gaussian(this.rng)),
      spo2: Math.round(this.spo2), // oximeters report whole percent
      skin_temp: round(this.base.skinTemp + 0.1 * gaussian(this.rng), 2),
      battery: Math.round(this.battery),
    };
  }
}
