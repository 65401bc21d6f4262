/**
 * The home pack's devices: a thermostat heating a room (first-order
 * physics), a front door with its alarm arming, a light. The household's
 * day (leave for work, come back, sleep) is the same for every device of a
 * home, computed from the home number, so the door and the thermostat agree
 * without talking to each other.
 */
import type { DeviceModel } from '../pack.js';
import { approach, DAY_S, gaussian, inDailyWindow, parseClock, round, SimClock } from './daily.js';

/** When the household of one home is out, and whether a break-in happens while it is. */
export interface Household {
  readonly leaveS: number; // seconds of the day
  readonly returnS: number;
  /** A break-in this many seconds after leaving, or undefined. */
  readonly intrusionAfterS: number | undefined;
}

/** Home k's household: leaving and coming back spread over 25 minutes across homes (home 1 first). */
export function household(
  k: number,
  leaveS: number,
  returnS: number,
  intrusion: boolean,
  intrusionAfterS: number,
): Household {
  const spread = (((k - 1) * 7) % 26) * 60;
  return {
    leaveS: leaveS + spread,
    returnS: returnS + spread,
    intrusionAfterS: intrusion ? intrusionAfterS : undefined,
  };
}

/** Someone is at home at this second of the day. */
export const isHome = (h: Household, ofDay: number): boolean =>
  !inDailyWindow(ofDay, h.leaveS % DAY_S, h.returnS % DAY_S);

/** Outside temperature of a winter day: coldest about 04:00, warmest about 15:00 (°C). */
export const outsideTemp = (hour: number): number => 4 + 5 * Math.sin((2 * Math.PI * (hour - 9.5)) / 24);

// ── thermostat ─────────────────────────────────────────────────────────

/** What the thermostat follows (its twin's desired state, with defaults). */
export interface ThermostatConfig {
  comfort: number;
  eco: number;
  night: number;
  wake: string;
  sleep: string;
  away: boolean;
}
export const DEFAULT_CONFIG: ThermostatConfig = {
  comfort: 21,
  eco: 16,
  night: 18,
  wake: '06:30',
  sleep: '22:30',
  away: false,
};

/** The setpoint and mode the config asks for at this second of the day. */
export function setpointFor(c: ThermostatConfig, ofDay: number): { setpoint: number; mode: string } {
  if (c.away) return { setpoint: c.eco, mode: 'away' };
  if (inDailyWindow(ofDay, parseClock(c.sleep, 'sleep'), parseClock(c.wake, 'wake')))
    return { setpoint: c.night, mode: 'night' };
  return { setpoint: c.comfort, mode: 'comfort' };
}

/** Takes the valid fields of a desired document; the rest is ignored (a device never crashes on bad config). */
export function mergeConfig(c: ThermostatConfig, desired: Record<string, unknown>): ThermostatConfig {
  const next = { ...c };
  for (const k of ['comfort', 'eco', 'night'] as const) {
    const v = desired[k];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 5 && v <= 30) next[k] = v;
  }
  for (const k of ['wake', 'sleep'] as const) {
    const v = desired[k];
    if (typeof v === 'string' && /^([01]?\d|2[0-3]):[0-5]\d$/.test(v)) next[k] = v;
  }
  if (typeof desired.away === 'boolean') next.away = desired.away;
  return next;
}

/** Room heat balance: 3 h time constant; the heater at full power holds the room 24 °C above outside. */
const TAU_S = 3 * 3600;
const HEATER_RISE = 24;
const SUBSTEP_S = 30;

export class Thermostat implements DeviceModel {
  temperature: number;
  heater = 0; // 0..1 duty of the last step
  config: ThermostatConfig = { ...DEFAULT_CONFIG };
  #on = false;
  #dirty = true;
  #last = '';
  readonly #clock: SimClock;

  constructor(
    readonly home: Household,
    startS: number,
    readonly rng: () => number,
  ) {
    this.#clock = new SimClock(startS);
    this.temperature = 19 + 2 * rng();
  }

  get occupied(): boolean {
    return isHome(this.home, this.#clock.ofDay);
  }

  step(_now: number, dt: number): Record<string, number | boolean | string> {
    let on = 0;
    let left = dt;
    while (left > 0) {
      const h = Math.min(SUBSTEP_S, left);
      const { setpoint } = setpointFor(this.config, this.#clock.ofDay);
      // A boiler with a 0.3 °C hysteresis: on below setpoint - 0.3, off above + 0.3.
      if (this.temperature < setpoint - 0.3) this.#on = true;
      else if (this.temperature > setpoint + 0.3) this.#on = false;
      const eq = outsideTemp(this.#clock.hour) + (this.#on ? HEATER_RISE : 0);
      this.temperature = approach(this.temperature, eq, h, TAU_S);
      if (this.#on) on += h;
      this.#clock.advance(h);
      left -= h;
    }
    this.heater = dt > 0 ? on / dt : 0;
    const { setpoint, mode } = setpointFor(this.config, this.#clock.ofDay);
    const state = JSON.stringify({ setpoint, mode });
    if (state !== this.#last) this.#dirty = true;
    this.#last = state;
    return {
      temperature: round(this.temperature + 0.05 * gaussian(this.rng), 2),
      setpoint,
      heater: Math.round(this.heater * 100),
      outside: round(outsideTemp(this.#clock.hour), 1),
      occupied: this.occupied,
      mode,
    };
  }

  onDesired(state: Record<string, unknown>): void {
    this.config = mergeConfig(this.config, state);
    this.#dirty = true;
  }

  reported(): Record<string, unknown> | undefined {
    if (!this.#dirty) return undefined;
    this.#dirty = false;
    return { ...this.config, ...setpointFor(this.config, this.#clock.ofDay) };
  }
}

// ── front door ─────────────────────────────────────────────────────────

type DoorEvent = { type: string; data?: Record<string, unknown> };

/**
 * The front door and its alarm panel: the household opens it when leaving,
 * arms the alarm once it has closed behind it, disarms with the key fob as
 * it comes back. A break-in opens it while armed.
 */
export class FrontDoor implements DeviceModel {
  open = false;
  armed: boolean;
  battery: number;
  #openUntil = -1;
  #events: DoorEvent[] = [];
  #intruded = false;
  readonly #clock: SimClock;
  #prevHome: boolean;

  constructor(
    readonly home: Household,
    startS: number,
    rng: () => number,
  ) {
    this.#clock = new SimClock(startS);
    this.#prevHome = isHome(home, this.#clock.ofDay);
    this.armed = !this.#prevHome;
    this.battery = 60 + Math.round(40 * rng());
  }

  #openFor(s: number, armed: boolean, who: string): void {
    if (!this.open) this.#events.push({ type: 'door_open', data: { armed, by: who } });
    this.open = true;
    this.#openUntil = this.#clock.seconds + s;
  }

  step(_now: number, dt: number): Record<string, number | boolean | string> {
    const from = this.#clock.seconds;
    this.#clock.advance(dt);
    const now = this.#clock.seconds;
    const home = isHome(this.home, this.#clock.ofDay);
    if (home !== this.#prevHome) {
      if (home) {
        this.armed = false; // disarmed with the key fob before the door opens
        this.#openFor(30, false, 'household');
      } else {
        this.#openFor(30, false, 'household');
      }
      this.#prevHome = home;
    }
    // Armed once the door has closed behind the household (the exit delay).
    if (!home && !this.armed && !this.open) this.armed = true;
    const after = this.home.intrusionAfterS;
    if (after !== undefined && !home && !this.#intruded) {
      const at = this.#awaySince(now) + after;
      if (from < at && now >= at && this.armed) {
        this.#intruded = true;
        this.#openFor(120, true, 'unknown');
      }
    }
    if (this.open && now >= this.#openUntil) {
      this.open = false;
      this.#events.push({ type: 'door_close', data: { armed: this.armed } });
    }
    return { open: this.open, armed: this.armed, battery: this.battery };
  }

  /** Sim seconds at which the current absence began. */
  #awaySince(now: number): number {
    const ofDay = ((now % DAY_S) + DAY_S) % DAY_S;
    const leave = this.home.leaveS % DAY_S;
    return now - ((ofDay - leave + DAY_S) % DAY_S);
  }

  events(): DoorEvent[] {
    const e = this.#events;
    this.#events = [];
    return e;
  }
}

// ── light ──────────────────────────────────────────────────────────────

/**
 * A living-room light: on in the dark hours while someone is at home and
 * awake; the `switch` command ({"on": true|false}) overrides it until the
 * household's routine changes it again.
 */
export class Light implements DeviceModel {
  on = false;
  #override: boolean | undefined;
  #wasAuto = false;
  readonly #clock: SimClock;

  constructor(
    readonly home: Household,
    startS: number,
    readonly watts: number,
  ) {
    this.#clock = new SimClock(startS);
  }

  step(_now: number, dt: number): Record<string, number | boolean | string> {
    this.#clock.advance(dt);
    const h = this.#clock.hour;
    const dark = h < 7.5 || h >= 17;
    const awake = !inDailyWindow(this.#clock.ofDay, 23 * 3600, 6.5 * 3600);
    const auto = dark && awake && isHome(this.home, this.#clock.ofDay);
    if (auto !== this.#wasAuto) this.#override = undefined; // the routine takes over again
    this.#wasAuto = auto;
    this.on = this.#override ?? auto;
    return { on: this.on, power: this.on ? this.watts : 0 };
  }

  onCommand(name: string, params: Record<string, unknown>): unknown {
    if (name !== 'switch') throw new Error(`unknown command ${name} (the light knows: switch)`);
    if (typeof params.on !== 'boolean') throw new Error('switch needs {"on": true|false}');
    this.#override = params.on;
    this.on = params.on;
    return { on: this.on };
  }
}
