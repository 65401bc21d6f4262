/**
 * The grid pack's devices on one low-voltage feeder: household smart
 * meters, flexible loads (EV charging hubs with a demand-response
 * contract) and the feeder's own sensor. The feeder's load is the sum of
 * what the meters and flexible loads draw now, so shedding them shows on
 * the feeder: the models of one run share a FeederBus.
 */
import type { DeviceModel } from '../pack.js';
import { clamp, formatClock, gaussian, ouStep, round, SimClock } from './daily.js';

/** Piecewise-linear daily curve: [hour, value] points from 0 to 24. */
export function curveAt(points: readonly (readonly [number, number])[], hour: number): number {
  const h = ((hour % 24) + 24) % 24;
  for (let i = 1; i < points.length; i++) {
    const [h1, v1] = points[i] as readonly [number, number];
    const [h0, v0] = points[i - 1] as readonly [number, number];
    if (h <= h1) return v0 + ((v1 - v0) * (h - h0)) / (h1 - h0);
  }
  return (points[points.length - 1] as readonly [number, number])[1];
}

/** A household's average demand over the day after diversity (kW): the evening peak about 19:00. */
export const HOUSEHOLD_KW: readonly (readonly [number, number])[] = [
  [0, 0.45],
  [5, 0.4],
  [7, 0.9],
  [8, 1.0],
  [9, 0.7],
  [12, 0.8],
  [16, 0.9],
  [17, 1.4],
  [18, 2.0],
  [19, 2.2],
  [20, 2.0],
  [21, 1.6],
  [22, 1.1],
  [23, 0.7],
  [24, 0.45],
];
/** Share of a charging hub's rating in use: cars plug in when people come home. */
export const CHARGING_SHARE: readonly (readonly [number, number])[] = [
  [0, 0.3],
  [2, 0.15],
  [5, 0.05],
  [16, 0.05],
  [17, 0.3],
  [18, 0.8],
  [19, 1.0],
  [20, 0.95],
  [21, 0.8],
  [22, 0.6],
  [24, 0.3],
];
/** Flexible capacity per household on the feeder (kW): EV charging is about as big as the evening peak. */
export const FLEX_KW_PER_HOUSEHOLD = 2;
/** The feeder is sized so the unmanaged evening peak (2.2 + 2 kW a household) is 110 % of it. */
export const FEEDER_KW_PER_HOUSEHOLD = (2.2 + FLEX_KW_PER_HOUSEHOLD) / 1.1;
const NOMINAL_V = 230;

/** What the models of one run share: each load's power now, and the feeder's voltage. */
export class FeederBus {
  readonly power = new Map<string, number>();
  voltage = NOMINAL_V;
  constructor(
    readonly households: number,
    readonly flexLoads: number,
  ) {}
  get capacityKw(): number {
    return FEEDER_KW_PER_HOUSEHOLD * Math.max(1, this.households);
  }
  /** Each charging hub's rating: the feeder's flexible capacity split between the hubs. */
  get flexRatingKw(): number {
    return (FLEX_KW_PER_HOUSEHOLD * Math.max(1, this.households)) / Math.max(1, this.flexLoads);
  }
  get totalKw(): number {
    let sum = 0;
    for (const kw of this.power.values()) sum += kw;
    return sum;
  }
}

/** Voltage at the feeder head sags with load: 7 % at full load (213.9 V); the -6 % limit (216.2 V) at about 86 %. */
export const voltageAt = (loadPct: number): number => NOMINAL_V * (1 - 0.0007 * loadPct);

type Telemetry = Record<string, number | boolean | string>;

/** A household smart meter: demand (kW) and the cumulative energy register (kWh) billing reads. */
export class Meter implements DeviceModel {
  power = 0;
  energy: number;
  #noise = 0;
  readonly #size: number;
  readonly #clock: SimClock;

  constructor(
    readonly id: string,
    readonly bus: FeederBus,
    startS: number,
    readonly rng: () => number,
  ) {
    this.#clock = new SimClock(startS);
    this.#size = 0.7 + 0.6 * rng(); // small flat .. large house
    this.energy = round(1000 + 20_000 * rng(), 3);
    this.power = this.#demand();
    bus.power.set(id, this.power);
  }

  #demand(): number {
    return Math.max(0.05, curveAt(HOUSEHOLD_KW, this.#clock.hour) * this.#size * (1 + this.#noise));
  }

  step(_now: number, dt: number): Telemetry {
    this.#noise = ouStep(this.#noise, dt, 900, 0.25, this.rng);
    // Energy over the step at the power held during it, then the new power.
    this.energy = round(this.energy + (this.power * dt) / 3600, 3);
    this.#clock.advance(dt);
    this.power = this.#demand();
    this.bus.power.set(this.id, this.power);
    return {
      power: round(this.power, 3),
      energy: this.energy,
      voltage: round(this.bus.voltage - 1.5 * this.rng(), 1),
    };
  }
}

/**
 * An EV charging hub under a demand-response contract: draws what the
 * plugged-in cars want; `shed` ({level 0-1 of its rating, minutes}) caps it
 * for that long, `restore` lifts the cap.
 */
export class FlexLoad implements DeviceModel {
  power = 0;
  energy: number;
  shedUntil: number | undefined; // sim seconds
  level = 0.2;
  #dirty = true;
  readonly #clock: SimClock;

  constructor(
    readonly id: string,
    readonly bus: FeederBus,
    startS: number,
    readonly rng: () => number,
  ) {
    this.#clock = new SimClock(startS);
    this.energy = round(5000 + 50_000 * rng(), 3);
    this.power = this.#demand();
    bus.power.set(id, this.power);
  }

  get shed(): boolean {
    return this.shedUntil !== undefined && this.#clock.seconds < this.shedUntil;
  }

  #demand(): number {
    const want =
      this.bus.flexRatingKw *
      clamp(curveAt(CHARGING_SHARE, this.#clock.hour) + 0.03 * gaussian(this.rng), 0, 1);
    return this.shed ? Math.min(want, this.bus.flexRatingKw * this.level) : want;
  }

  step(_now: number, dt: number): Telemetry {
    this.energy = round(this.energy + (this.power * dt) / 3600, 3);
    const was = this.shed;
    this.#clock.advance(dt);
    if (was && !this.shed) {
      this.shedUntil = undefined; // the event is over: charge as the cars want again
      this.#dirty = true;
    }
    this.power = this.#demand();
    this.bus.power.set(this.id, this.power);
    return {
      power: round(this.power, 3),
      energy: this.energy,
      shed: this.shed,
      voltage: round(this.bus.voltage, 1),
    };
  }

  onCommand(name: string, params: Record<string, unknown>): unknown {
    if (name === 'restore') {
      this.shedUntil = undefined;
    } else if (name === 'shed') {
      const level = params.level ?? 0.2;
      const minutes = params.minutes ?? 60;
      if (typeof level !== 'number' || !(level >= 0 && level <= 1))
        throw new Error('shed: level must be 0-1 of the rating');
      if (typeof minutes !== 'number' || !(minutes > 0 && minutes <= 1440))
        throw new Error('shed: minutes must be 1-1440');
      this.level = level;
      this.shedUntil = this.#clock.seconds + minutes * 60;
    } else {
      throw new Error(`unknown command ${name} (a flexible load knows: shed, restore)`);
    }
    const before = this.power;
    this.power = this.#demand();
    this.bus.power.set(this.id, this.power);
    this.#dirty = true;
    return {
      shed: this.shed,
      powerBefore: round(before, 3),
      power: round(this.power, 3),
      until: this.#until(),
    };
  }

  #until(): string | null {
    return this.shedUntil === undefined ? null : formatClock(this.shedUntil);
  }

  reported(): Record<string, unknown> | undefined {
    if (!this.#dirty) return undefined;
    this.#dirty = false;
    return {
      shed: this.shed,
      shedUntil: this.#until(),
      level: this.level,
      ratingKw: round(this.bus.flexRatingKw, 2),
    };
  }
}

/** The feeder head sensor: total power, load against its capacity, voltage. */
export class FeederSensor implements DeviceModel {
  constructor(
    readonly bus: FeederBus,
    readonly rng: () => number,
  ) {}

  step(): Telemetry {
    const kw = this.bus.totalKw;
    const load = (100 * kw) / this.bus.capacityKw;
    this.bus.voltage = voltageAt(load) + 0.3 * gaussian(this.rng);
    return { load: round(load, 1), power: round(kw, 2), voltage: round(this.bus.voltage, 1) };
  }
}
