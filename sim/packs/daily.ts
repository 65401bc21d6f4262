/**
 * What the home, health and grid packs share: a clock of the simulated day
 * (their stories follow the time of day: people leave for work, demand
 * peaks in the evening), seeded noise, and the check of their options.
 */
import { SimError } from '../api.js';

/** A pack option that cannot be used (a bad time of day, patient number...): SIM_OPTION_INVALID. */
export function optionError(message: string): SimError {
  return new SimError('SIM_OPTION_INVALID', message);
}

export const DAY_S = 86_400;

/** 'HH:MM' (24 h) → seconds after midnight; `what` names the option in the error. */
export function parseClock(text: string, what: string): number {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!m) throw optionError(`${what} must be a time of day HH:MM (00:00-23:59), got ${JSON.stringify(text)}`);
  return Number(m[1]) * 3600 + Number(m[2]) * 60;
}

/** Seconds after midnight → 'HH:MM'. */
export function formatClock(s: number): string {
  const d = ((Math.floor(s / 60) % 1440) + 1440) % 1440;
  return `${String(Math.floor(d / 60)).padStart(2, '0')}:${String(d % 60).padStart(2, '0')}`;
}

/** Simulated time: seconds since the start of the run's first day (it may go past 24 h). */
export class SimClock {
  #s: number;
  constructor(startOfDayS: number) {
    this.#s = startOfDayS;
  }
  advance(dt: number): void {
    this.#s += dt;
  }
  /** Seconds since midnight of the first day. */
  get seconds(): number {
    return this.#s;
  }
  /** Seconds since the last midnight. */
  get ofDay(): number {
    return ((this.#s % DAY_S) + DAY_S) % DAY_S;
  }
  /** Hour of the day, fractional (18.5 is 18:30). */
  get hour(): number {
    return this.ofDay / 3600;
  }
}

/** True when `s` (seconds of the day) is in [from, to), across midnight when to < from. */
export function inDailyWindow(s: number, from: number, to: number): boolean {
  return from <= to ? s >= from && s < to : s >= from || s < to;
}

/** A standard normal draw from a uniform RNG (Box-Muller). */
export function gaussian(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/**
 * Ornstein-Uhlenbeck step: noise that wanders around 0 with standard
 * deviation `sd` and forgets itself over `tauS` seconds; exact for any dt.
 */
export function ouStep(x: number, dt: number, tauS: number, sd: number, rng: () => number): number {
  const a = Math.exp(-dt / tauS);
  return x * a + sd * Math.sqrt(1 - a * a) * gaussian(rng);
}

/** First-order approach of `x` to `target` with time constant `tauS`: exact for any dt. */
export function approach(x: number, target: number, dt: number, tauS: number): number {
  return target + (x - target) * Math.exp(-dt / tauS);
}

export const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
export const round = (x: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** Checks a list of 1-based numbers (homes, patients) given as a pack option. */
export function checkNumbers(list: readonly number[], what: string): void {
  if (!Array.isArray(list) || list.some((k) => !Number.isInteger(k) || k < 1 || k > 1_000_000))
    throw optionError(`${what} must be a list of whole numbers from 1, got ${JSON.stringify(list)}`);
}
