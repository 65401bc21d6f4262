import type { DeviceModel } from '../pack.js';
import { between } from '../rng.js';
import type { Route } from './fleet-route.js';

/**
 * A delivery truck's telematics box. The truck waits at the depot (loading,
 * refuelling), drives its loop, comes back, and again. Physics in sim
 * seconds, integrated in steps of at most 2 s whatever the send interval:
 * speed relaxes toward the leg's target (limit, the 90 km/h limiter, the
 * driver's habit) with a 12 s lag; in town traffic lights stop it now and
 * then; diesel burns with distance (32 L/100 km) and idling (2.5 L/h).
 * Faults: a driver whose limiter was tampered with (over 90 on the
 * motorway), a truck sent out almost empty, a breakdown on the road, a
 * tracker that goes silent for a while.
 */

export interface TruckFaults {
  readonly speeding?: boolean;
  readonly lowFuel?: boolean;
  /** Breaks down this many sim seconds after the start (while driving), for `forS`. */
  readonly breakdown?: { readonly atS: number; readonly forS: number };
  /** Sends nothing from `atS` for `forS` sim seconds. */
  readonly silent?: { readonly atS: number; readonly forS: number };
}

export const TANK_L = 400;
export const L_PER_KM = 0.32;
export const IDLE_L_PER_H = 2.5;
export const LIMITER_KMH = 90;
const MAX_STEP_S = 2;
const ACCEL_TAU_S = 12;

type Phase = 'dwell' | 'driving' | 'broken';

export class Truck implements DeviceModel {
  readonly route: Route;
  readonly #rng: () => number;
  readonly #faults: TruckFaults;
  readonly #habit: number;
  #t = 0;
  #phase: Phase = 'dwell';
  #until: number;
  #distance = 0;
  #speed = 0; // m/s
  #lightUntil = 0;
  #fuelL: number;
  #odometerM: number;
  #refuelNext: boolean;
  #brokeDown = false;

  constructor(route: Route, rng: () => number, faults: TruckFaults, departAfterS: number) {
    this.route = route;
    this.#rng = rng;
    this.#faults = faults;
    this.#habit = faults.speeding ? between(rng, 0.92, 0.98) : between(rng, 0.9, 0.98);
    this.#fuelL = (faults.lowFuel ? between(rng, 10.5, 11.5) : between(rng, 60, 100)) * (TANK_L / 100);
    this.#odometerM = Math.round(between(rng, 20_000, 400_000)) * 1000;
    this.#refuelNext = !faults.lowFuel; // the almost-empty truck was sent out without filling up
    this.#until = departAfterS;
  }

  get phase(): Phase {
    return this.#phase;
  }
  /** km/h */
  get speed(): number {
    return this.#speed * 3.6;
  }
  /** % of the tank */
  get fuel(): number {
    return (this.#fuelL / TANK_L) * 100;
  }
  get distance(): number {
    return this.#distance;
  }

  #targetKmh(limit: number): number {
    if (this.#faults.speeding && limit > LIMITER_KMH) return limit * this.#habit;
    return Math.min(limit, LIMITER_KMH) * this.#habit;
  }

  #advance(h: number): void {
    const t = this.#t;
    const b = this.#faults.breakdown;
    // It breaks down on the road (not in the yard): the first time it drives, out of the depot, after atS.
    if (this.#phase === 'driving' && b && !this.#brokeDown && t >= b.atS && this.#distance > 1000) {
      this.#brokeDown = true;
      this.#phase = 'broken';
      this.#until = t + b.forS;
    }
    if (this.#phase !== 'driving' && t >= this.#until) {
      if (this.#phase === 'dwell' && this.#refuelNext) this.#fuelL = TANK_L;
      this.#refuelNext = true;
      this.#phase = 'driving';
    }
    if (this.#phase !== 'driving') {
      this.#speed = 0; // engine off: at the depot, or broken down
      return;
    }
    const pos = this.route.at(this.#distance);
    // Town driving: a red light about every 90 s (Poisson), 15-45 s each.
    if (pos.limit <= 50 && t >= this.#lightUntil && this.#rng() < h / 90) {
      this.#lightUntil = t + between(this.#rng, 15, 45);
    }
    const target = t < this.#lightUntil || this.#fuelL <= 0 ? 0 : this.#targetKmh(pos.limit) / 3.6;
    this.#speed += (target - this.#speed) * (1 - Math.exp(-h / ACCEL_TAU_S));
    if (target === 0 && this.#speed < 0.3) this.#speed = 0;
    const moved = this.#speed * h;
    this.#fuelL = Math.max(
      0,
      this.#fuelL - (moved / 1000) * L_PER_KM - (this.#speed < 0.3 ? (IDLE_L_PER_H * h) / 3600 : 0),
    );
    this.#odometerM += moved;
    this.#distance += moved;
    if (this.#distance >= this.route.length) {
      // Back at the depot: unload, load, refuel, 10-20 min.
      this.#distance = 0;
      this.#speed = 0;
      this.#phase = 'dwell';
      this.#until = t + between(this.#rng, 600, 1200);
      this.#refuelNext = this.fuel < 50;
    }
  }

  step(_now: number, dt: number): Record<string, number> | undefined {
    let left = dt;
    while (left > 1e-9) {
      const h = Math.min(MAX_STEP_S, left);
      this.#t += h;
      left -= h;
      this.#advance(h);
    }
    const s = this.#faults.silent;
    if (s && this.#t >= s.atS && this.#t < s.atS + s.forS) return undefined;
    const pos = this.route.at(this.#distance); // distance 0 is the depot
    const [lat, lon] = pos.at;
    const moving = this.#speed > 0;
    // No noise drawn here: the physics' random stream must not depend on how often the truck reports.
    return {
      lat: Math.round(lat * 1e6) / 1e6,
      lon: Math.round(lon * 1e6) / 1e6,
      speed: moving ? Math.round(this.speed * 10) / 10 : 0,
      fuel: Math.round(this.fuel * 10) / 10,
      heading: Math.round(pos.heading),
      odometer: Math.round(this.#odometerM / 100) / 10,
    };
  }
}
