import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SimError } from '../api.js';
import { mulberry32 } from '../rng.js';
import { parseClock } from './daily.js';
import { createHomePack } from './home.js';
import {
  DEFAULT_CONFIG,
  FrontDoor,
  household,
  Light,
  mergeConfig,
  setpointFor,
  Thermostat,
} from './home-models.js';

const seeded = mulberry32;
const at = (hhmm: string) => parseClock(hhmm, 'test');
const home1 = household(1, at('08:00'), at('17:30'), false, 0);

test('the thermostat heats a cold room to its comfort setpoint and holds it', () => {
  const stayHome = household(1, at('08:00'), at('08:00'), false, 0);
  const t = new Thermostat(stayHome, at('06:40'), seeded(1));
  t.temperature = 15;
  let last: Record<string, unknown> = {};
  for (let i = 0; i < 150; i++) last = t.step(0, 60); // 2.5 hours at home, comfort mode
  assert.equal(last.mode, 'comfort');
  assert.equal(last.setpoint, 21);
  assert.ok(Math.abs(t.temperature - 21) < 0.6, `room at ${t.temperature}`);
  assert.equal(last.occupied, true);
});

test('away in the twin: the room cools towards eco and is held there, whatever the step size', () => {
  for (const dt of [10, 600, 3600]) {
    const t = new Thermostat(home1, at('09:00'), seeded(2));
    t.temperature = 21;
    t.onDesired({ away: true });
    for (let s = 0; s < 8 * 3600; s += dt) t.step(0, dt);
    assert.ok(t.temperature < 17 && t.temperature > 15, `dt ${dt}: room at ${t.temperature}`);
  }
});

test('without heating the room decays exponentially towards the outside temperature', () => {
  const t = new Thermostat(home1, at('12:00'), seeded(3));
  t.onDesired({ comfort: 5, eco: 5, night: 5 });
  t.temperature = 20;
  t.step(0, 3 * 3600); // one time constant
  // Outside is 7-9 °C over those hours: one time constant closes about 63 % of the gap.
  assert.ok(t.temperature > 11 && t.temperature < 14, `room at ${t.temperature}`);
  assert.equal(t.heater, 0);
});

test('the thermostat follows its desired state and reports what it applied, once', () => {
  const t = new Thermostat(home1, at('10:00'), seeded(4));
  t.step(0, 60);
  t.reported();
  assert.equal(t.reported(), undefined, 'nothing changed, nothing to report');
  t.onDesired({ comfort: 23.5, wake: '07:00', bogus: 1, eco: 'warm', night: 99 });
  const r = t.reported();
  assert.equal(r?.comfort, 23.5);
  assert.equal(r?.setpoint, 23.5);
  assert.equal(r?.mode, 'comfort');
  assert.equal(r?.eco, DEFAULT_CONFIG.eco, 'a bad value is ignored');
  assert.equal(r?.night, DEFAULT_CONFIG.night, 'out of range is ignored');
  assert.equal(t.step(0, 60).setpoint, 23.5);
});

test('the schedule: night between sleep and wake (across midnight), eco when away', () => {
  const c = mergeConfig(DEFAULT_CONFIG, {});
  assert.equal(setpointFor(c, at('23:00')).mode, 'night');
  assert.equal(setpointFor(c, at('03:00')).setpoint, 18);
  assert.equal(setpointFor(c, at('06:30')).mode, 'comfort');
  assert.deepEqual(setpointFor({ ...c, away: true }, at('12:00')), { setpoint: 16, mode: 'away' });
});

test('the door: the household leaves (door opens disarmed), the alarm arms, a break-in opens it armed', () => {
  const h = household(1, at('08:00'), at('17:30'), true, 20 * 60);
  const d = new FrontDoor(h, at('07:40'), seeded(5));
  const events: { type: string; data?: Record<string, unknown>; min: number }[] = [];
  let armedAt = -1;
  for (let min = 1; min <= 24 * 60; min++) {
    const s = d.step(0, 60);
    if (s.armed && armedAt < 0) armedAt = min;
    for (const e of d.events()) events.push({ ...e, min });
  }
  const opens = events.filter((e) => e.type === 'door_open');
  assert.deepEqual(
    opens.map((e) => [e.min, e.data?.armed]),
    [
      [20, false], // 08:00 leaving
      [40, true], // 08:20 break-in
      [590, false], // 17:30 back, disarmed first
    ],
  );
  assert.equal(opens.filter((e) => e.data?.armed === true).length, 1, 'one break-in');
  assert.ok(armedAt > 20 && armedAt < 40, `armed at minute ${armedAt}`);
  assert.ok(events.some((e) => e.type === 'door_close'));
});

test('no break-in configured: the door never opens while armed all day', () => {
  const d = new FrontDoor(household(2, at('08:00'), at('17:30'), false, 0), at('00:00'), seeded(6));
  for (let i = 0; i < 48 * 60; i++) {
    d.step(0, 60);
    for (const e of d.events()) if (e.type === 'door_open') assert.equal(e.data?.armed, false);
  }
});

test('the light follows the routine and obeys switch until the routine changes', () => {
  const l = new Light(home1, at('18:00'), 9);
  assert.deepEqual(l.step(0, 60), { on: true, power: 9 });
  assert.deepEqual(l.onCommand('switch', { on: false }), { on: false });
  assert.equal(l.step(0, 60).on, false, 'override holds');
  for (let i = 0; i < 6 * 60; i++) l.step(0, 60); // past 23:00: the routine turns it off
  assert.equal(l.on, false);
  assert.throws(() => l.onCommand('dim', {}), /unknown command dim/);
  assert.throws(() => l.onCommand('switch', { on: 'yes' }), /switch needs/);
});

test('the pack: device ids per home, rule durations divided by the speed, seeded models', () => {
  const p = createHomePack();
  assert.deepEqual(
    p.devices(4).map((d) => d.id),
    ['home-thermostat-1', 'home-door-1', 'home-light-1', 'home-thermostat-2'],
  );
  const away = p.rules({ speed: 60 }).find((r) => r.name === 'home-away') as { condition: { for: string } };
  assert.equal(away.condition.for, '10000ms');
  const run = (seed: number) => {
    const m = p.model(
      { id: 'home-thermostat-1', profile: 'home-thermostat' },
      0,
      { speed: 60 },
      seeded(seed),
    );
    return Array.from({ length: 20 }, () => m.step(0, 30));
  };
  assert.deepEqual(run(7), run(7));
  assert.notDeepEqual(run(7), run(8));
  const profiles = new Set(p.profiles.map((x) => x.id));
  for (const d of p.devices(9)) assert.ok(profiles.has(d.profile));
});

test('bad options and device ids are refused with what was expected', () => {
  assert.throws(
    () => createHomePack({ start: '25:00' }),
    (e: unknown) => e instanceof SimError && e.code === 'SIM_OPTION_INVALID',
  );
  assert.throws(() => createHomePack({ leave: '8am' }), /leave must be a time of day HH:MM/);
  assert.throws(() => createHomePack({ intrusions: [0] }), /intrusions must be a list of whole numbers/);
  assert.throws(() => createHomePack({ intrusionAfterMin: 0 }), /intrusionAfterMin/);
  assert.throws(() => createHomePack().devices(0), /devices must be a whole number/);
  assert.throws(
    () => createHomePack().model({ id: 'press-1', profile: 'x' }, 0, { speed: 1 }, Math.random),
    /not a home device/,
  );
});
