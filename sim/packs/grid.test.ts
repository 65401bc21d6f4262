import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SimError } from '../api.js';
import type { DeviceModel, ScenarioPack } from '../pack.js';
import { mulberry32 } from '../rng.js';
import { parseClock } from './daily.js';
import { createGridPack } from './grid.js';
import {
  CHARGING_SHARE,
  curveAt,
  FeederBus,
  FlexLoad,
  HOUSEHOLD_KW,
  Meter,
  voltageAt,
} from './grid-models.js';

/** Steps a whole fleet of the pack together (feeder last, as it sums the others) every dt sim seconds. */
function fleet(p: ScenarioPack, n: number) {
  const specs = p.devices(n);
  const models = new Map<string, DeviceModel>(
    specs.map((d, i) => [d.id, p.model(d, i, { speed: 1 }, mulberry32(i + 1))]),
  );
  const feeder = models.get('grid-feeder-1') as DeviceModel;
  return {
    models,
    step(dt: number) {
      const out: Record<string, Record<string, unknown>> = {};
      for (const [id, m] of models) if (m !== feeder) out[id] = m.step(0, dt) ?? {};
      out['grid-feeder-1'] = feeder.step(0, dt) ?? {};
      return out;
    },
  };
}

test('daily curves interpolate between their points and wrap at midnight', () => {
  assert.equal(curveAt(HOUSEHOLD_KW, 19), 2.2);
  assert.equal(curveAt(HOUSEHOLD_KW, 18.5), 2.1);
  assert.equal(curveAt(HOUSEHOLD_KW, 24 + 19), 2.2);
  assert.equal(curveAt(CHARGING_SHARE, 3.5), 0.1);
  assert.equal(Math.round(voltageAt(100) * 10) / 10, 213.9);
  assert.ok(voltageAt(85) > 216.2 && voltageAt(87) < 216.2, '-6 % at about 86 % load');
});

test('a meter integrates its power into a register that only grows', () => {
  const bus = new FeederBus(10, 4);
  const m = new Meter('grid-meter-1', bus, parseClock('00:00', 's'), mulberry32(1));
  const e0 = m.energy;
  let expected = 0;
  let last = e0;
  for (let i = 0; i < 24 * 12; i++) {
    expected += (m.power * 300) / 3600;
    const r = m.step(0, 300);
    assert.ok((r.energy as number) >= last, 'monotonic');
    assert.ok((r.power as number) > 0);
    last = r.energy as number;
  }
  assert.ok(Math.abs(last - e0 - expected) < 0.01, `register ${last - e0} kWh, integral ${expected}`);
  assert.ok(last - e0 > 10 && last - e0 < 40, `a day is ${last - e0} kWh`);
});

test('the evening peak overloads the feeder; shedding the flexible loads brings it back under', () => {
  const p = createGridPack();
  const f = fleet(p, 20);
  let crossed = -1;
  let out: Record<string, Record<string, unknown>> = {};
  for (let min = 1; min <= 60 && crossed < 0; min++) {
    out = f.step(60);
    if ((out['grid-feeder-1']?.load as number) > 90) crossed = min;
  }
  assert.ok(crossed > 5 && crossed < 45, `over 90 % after ${crossed} min from 17:30`);
  const before = out['grid-flex-1']?.power as number;
  for (let i = 1; i <= 4; i++) {
    const r = f.models.get(`grid-flex-${i}`)?.onCommand?.('shed', { level: 0.2, minutes: 60 }) as Record<
      string,
      unknown
    >;
    assert.equal(r.shed, true);
    assert.ok((r.power as number) < (r.powerBefore as number));
  }
  out = f.step(60);
  assert.ok((out['grid-flex-1']?.power as number) < before / 2, 'the hub dropped its power');
  assert.equal(out['grid-flex-1']?.shed, true);
  const loads: number[] = [];
  for (let min = 0; min < 55; min++) loads.push(f.step(60)['grid-feeder-1']?.load as number);
  assert.ok(Math.max(...loads) < 80, `feeder at most ${Math.max(...loads)} % while shed`);
  // The event ends after 60 minutes: the hubs charge again and report it.
  for (let min = 0; min < 10; min++) out = f.step(60);
  assert.equal(out['grid-flex-1']?.shed, false);
  assert.deepEqual(f.models.get('grid-flex-1')?.reported?.()?.shed, false);
});

test('without shedding the peak stays over the limit for an hour or more', () => {
  const f = fleet(createGridPack(), 12);
  const loads = Array.from({ length: 180 }, () => f.step(60)['grid-feeder-1']?.load as number);
  const over = loads.filter((l) => l > 90).length;
  assert.ok(over >= 60, `${over} minutes over 90 %`);
  assert.ok(Math.max(...loads) > 100 && Math.max(...loads) < 125, `peak ${Math.max(...loads)} %`);
});

test('a flexible load checks its commands: restore, bad level, unknown names', () => {
  const l = new FlexLoad('grid-flex-1', new FeederBus(10, 2), parseClock('19:00', 's'), mulberry32(2));
  l.onCommand('shed', {});
  assert.equal(l.shed, true);
  assert.equal((l.reported() as { shedUntil: string }).shedUntil, '20:00');
  assert.deepEqual((l.onCommand('restore', {}) as { shed: boolean }).shed, false);
  assert.throws(() => l.onCommand('shed', { level: 2 }), /level must be 0-1/);
  assert.throws(() => l.onCommand('shed', { minutes: '10' }), /minutes must be 1-1440/);
  assert.throws(() => l.onCommand('reboot', {}), /unknown command reboot/);
});

test('the pack: layout, one shed action per flexible load, durations divided by the speed', () => {
  const p = createGridPack({ flexLoads: 2 });
  const ids = p.devices(5).map((d) => d.id);
  assert.deepEqual(ids, ['grid-feeder-1', 'grid-flex-1', 'grid-flex-2', 'grid-meter-1', 'grid-meter-2']);
  assert.deepEqual(p.devices(5)[1]?.groups, ['grid-flexible']);
  const rule = p.rules({ speed: 300 }).find((r) => r.name === 'grid-feeder-overload') as {
    condition: { for: string };
    actions: { device: string; name: string }[];
    throttle: string;
  };
  assert.equal(rule.condition.for, '1000ms');
  assert.equal(rule.throttle, '12000ms');
  assert.deepEqual(
    rule.actions.map((a) => [a.device, a.name]),
    [
      ['grid-flex-1', 'shed'],
      ['grid-flex-2', 'shed'],
    ],
  );
});

test('bad options are refused with what was expected', () => {
  const invalid = (e: unknown) => e instanceof SimError && e.code === 'SIM_OPTION_INVALID';
  assert.throws(() => createGridPack({ flexLoads: 9 }), invalid);
  assert.throws(() => createGridPack({ flexLoads: 1.5 }), /flexLoads must be a whole number from 1 to 8/);
  assert.throws(() => createGridPack({ threshold: 0 }), /threshold/);
  assert.throws(() => createGridPack({ shedLevel: -0.1 }), /shedLevel/);
  assert.throws(() => createGridPack({ shedMinutes: Number.NaN }), /shedMinutes/);
  assert.throws(() => createGridPack({ start: '17h30' }), /start must be a time of day/);
  assert.throws(() => createGridPack().devices(5), /grid needs at least 6 devices/);
  assert.throws(
    () => createGridPack().model({ id: 'grid-meter-1', profile: 'grid-meter' }, 0, { speed: 1 }, Math.random),
    /devices\(\)/,
  );
  const p = createGridPack();
  p.devices(6);
  assert.throws(
    () => p.model({ id: 'meter-1', profile: 'grid-meter' }, 0, { speed: 1 }, Math.random),
    /not a grid device/,
  );
});
