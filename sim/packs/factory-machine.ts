import type { DeviceModel } from '../pack.js';
import { between, gaussian } from '../rng.js';

/**
 * A machine tool's spindle, as its condition monitor sees it. Physics, in
 * sim seconds:
 * - temperature relaxes toward a target with a first-order lag (exact
 *   exponential step, so any dt is stable): ambient + heat from the load
 *   while running, toward ambient when stopped (slower: no coolant flow);
 * - vibration is velocity RMS in mm/s (ISO 10816: under 2.8 is good, over
 *   4.5 calls for maintenance), proportional to speed;
 * - a bearing fault grows linearly from its onset (severity 0 → 1 over
 *   `growthS`, and on): vibration drifts up, bearing friction heats the
 *   spindle, and the damaged race gives impacts, short spikes whose odds grow
 *   with the damage (what an anomaly detector catches first).
 * A `shutdown` command stops it: the spindle spins down in seconds and the
 * machine cools exponentially toward ambient; `repair` (when stopped) cures
 * the bearing; `start` runs it again.
 */

export interface MachineFault {
  /** Sim seconds after the start when the bearing starts to fail (Infinity: never). */
  readonly atS: number;
  /** Sim seconds for the damage to grow from nothing to full. */
  readonly growthS: number;
}

export const SPIN_DOWN_S = 2;
export const HEAT_TAU_S = 120;
export const COOL_TAU_S = 400;

type State = 'running' | 'stopped';

export class Machine implements DeviceModel {
  readonly ambient: number;
  readonly nominalRpm: number;
  readonly baseVibration: number;
  readonly #load: number;
  readonly #rng: () => number;
  #fault: MachineFault;
  #t = 0;
  #state: State = 'running';
  #stoppedBy: string | undefined;
  #rpm: number;
  #temperature: number;
  #dirty = true;
  #repairs = 0;

  constructor(rng: () => number, fault: MachineFault) {
    this.#rng = rng;
    this.#fault = fault;
    this.ambient = between(rng, 19, 25);
    this.nominalRpm = Math.round(between(rng, 1200, 1800));
    this.baseVibration = between(rng, 1.2, 2.0);
    this.#load = between(rng, 0.6, 0.9);
    this.#rpm = this.nominalRpm;
    this.#temperature = this.#targetTemperature();
  }

  get state(): State {
    return this.#state;
  }
  get temperature(): number {
    return this.#temperature;
  }
  get rpm(): number {
    return this.#rpm;
  }

  /** Bearing damage: 0 before the onset, 1 after `growthS`, and still growing (uncared-for, it gets worse). */
  severity(): number {
    const f = this.#fault;
    return this.#t <= f.atS ? 0 : Math.min(2, (this.#t - f.atS) / f.growthS);
  }

  #targetTemperature(): number {
    if (this.#state === 'stopped') return this.ambient;
    // 35-50 K over ambient from the cut, up to 45 K more from a failing bearing's friction.
    return this.ambient + 35 + 15 * this.#load + 45 * this.severity();
  }

  step(_now: number, dt: number): Record<string, number | string> {
    this.#t += dt;
    const running = this.#state === 'running';
    const tau = running ? HEAT_TAU_S : COOL_TAU_S;
    const target = this.#targetTemperature();
    this.#temperature += (target - this.#temperature) * (1 - Math.exp(-dt / tau));
    this.#rpm = running
      ? this.nominalRpm * (1 + 0.004 * gaussian(this.#rng))
      : this.#rpm * Math.exp(-dt / SPIN_DOWN_S);
    if (this.#rpm < 1) this.#rpm = 0;

    const s = this.severity();
    const turning = this.#rpm / this.nominalRpm;
    // Noise clipped at 3σ: a healthy machine never looks like an impact.
    const noise = Math.max(-3, Math.min(3, gaussian(this.#rng))) * 0.04;
    let vibration = (this.baseVibration * (1 + noise) + 6 * s) * turning;
    if (s > 0.05 && turning > 0.5 && this.#rng() < Math.min(0.5, 0.1 + 0.4 * s)) {
      vibration += between(this.#rng, 2, 5) * Math.min(1, s + 0.3); // an impact from the damaged race
    }
    const temperature = this.#temperature + 0.1 * gaussian(this.#rng);
    return {
      temperature: Math.round(temperature * 10) / 10,
      vibration: Math.round(Math.max(0, vibration) * 100) / 100,
      rpm: Math.round(this.#rpm),
      state: this.#state,
    };
  }

  onCommand(name: string, params: Record<string, unknown>): unknown {
    switch (name) {
      case 'shutdown': {
        const was = this.#state;
        this.#state = 'stopped';
        this.#stoppedBy = typeof params.reason === 'string' ? params.reason : 'command';
        this.#dirty = true;
        return { stopped: true, was, temperature: Math.round(this.#temperature * 10) / 10 };
      }
      case 'start':
        this.#state = 'running';
        this.#stoppedBy = undefined;
        this.#dirty = true;
        return { running: true, rpm: this.nominalRpm };
      case 'repair':
        if (this.#state !== 'stopped') throw new Error('stop the machine (shutdown) before repairing it');
        this.#fault = { atS: Number.POSITIVE_INFINITY, growthS: 1 };
        this.#repairs++;
        this.#dirty = true;
        return { repaired: true };
      default:
        throw new Error(`unknown command "${name}" (this machine takes shutdown, start, repair)`);
    }
  }

  reported(): Record<string, unknown> | undefined {
    if (!this.#dirty) return undefined;
    this.#dirty = false;
    return {
      state: this.#state,
      stoppedBy: this.#stoppedBy ?? null,
      nominalRpm: this.nominalRpm,
      repairs: this.#repairs,
    };
  }
}
