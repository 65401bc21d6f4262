import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mulberry32 } from '../rng.js';
import { createFactoryPack, factoryPack } from './factory.js';
import { COOL_TAU_S, Machine } from './factory-machine.js';
import { replayRules } from './rule-replay.js';

const healthy = { atS: Number.POSITIVE_INFINITY, growthS: 1 };
const rules = factoryPack.rules({ speed: 1 });

describe('factory machine physics', () => {
  test('healthy machines run warm and smooth for a day: no rule ever fires', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const m = new Machine(mulberry32(seed), healthy);
      const r = replayRules(rules, m, { dtS: 5, untilS: 86_400 });
      assert.deepEqual(r.firings, [], `seed ${seed}`);
      for (const { values } of r.sent) {
        const v = values as { temperature: number; vibration: number; rpm: number; state: string };
        assert.ok(v.temperature > 50 && v.temperature < 80, `temperature ${v.temperature}`);
        assert.ok(v.vibration > 1 && v.vibration < 2.8, `vibration ${v.vibration} (ISO 10816: good)`);
        assert.ok(Math.abs(v.rpm - m.nominalRpm) < m.nominalRpm * 0.02);
        assert.equal(v.state, 'running');
      }
    }
  });

  test('a bearing fault: impacts, then high vibration, then heat; maintenance → overheat → shutdown; it cools', () => {
    const m = new Machine(mulberry32(2), { atS: 300, growthS: 600 });
    let shutdownAt: number | undefined;
    const r = replayRules(rules, m, {
      dtS: 5,
      untilS: 4 * 3600,
      onFire(rule, t) {
        if (rule !== 'factory-shutdown') return;
        shutdownAt ??= t;
        assert.deepEqual(m.onCommand('shutdown', { reason: 'test' }), {
          stopped: true,
          was: 'running',
          temperature: Math.round(m.temperature * 10) / 10,
        });
      },
    });
    const [maintenance] = r.of('factory-bearing-maintenance');
    const [overheat] = r.of('factory-overheat');
    assert.ok(maintenance && overheat && shutdownAt !== undefined, JSON.stringify(r.firings));
    assert.ok(maintenance.at > 300, 'nothing before the fault');
    assert.ok(maintenance.at < overheat.at, 'the maintenance alarm comes before the heat');
    // Over 90 °C for 5 min: the first point over 90 is 5 min (and one point) before the shutdown.
    const firstHot = r.sent.find((s) => (s.values?.temperature as number) > 90)?.t as number;
    assert.ok(shutdownAt - firstHot >= 300 && shutdownAt - firstHot <= 310, `${shutdownAt - firstHot} s`);
    assert.equal(r.of('factory-shutdown').length, 1, 'stopped once, stays stopped');
    assert.ok(overheat.until !== undefined, 'the overheat condition stops holding as it cools');
    // After the shutdown: spindle still within 10 s, then cooling toward ambient with the cooling lag.
    const after = (dt: number) => r.sent.find((s) => s.t >= (shutdownAt as number) + dt)?.values ?? {};
    assert.equal(after(20).rpm, 0);
    assert.equal(after(20).state, 'stopped');
    assert.ok((after(20).vibration as number) < 0.5);
    const t0 = after(5).temperature as number;
    const t1 = after(5 + COOL_TAU_S).temperature as number;
    const ratio = (t1 - m.ambient) / (t0 - m.ambient);
    assert.ok(
      Math.abs(ratio - Math.exp(-1)) < 0.05,
      `cooled to ${ratio} of the excess over one time constant`,
    );
    assert.ok(m.temperature < m.ambient + 1, 'at ambient hours later');
  });

  test('commands: start, repair only when stopped, unknown refused; reported state after each change', () => {
    const m = new Machine(mulberry32(3), { atS: 0, growthS: 60 });
    assert.deepEqual(m.reported(), {
      state: 'running',
      stoppedBy: null,
      nominalRpm: m.nominalRpm,
      repairs: 0,
    });
    assert.equal(m.reported(), undefined, 'nothing new to report');
    assert.throws(() => m.onCommand('repair', {}), /stop the machine/);
    assert.throws(
      () => m.onCommand('explode', {}),
      /unknown command "explode" \(this machine takes shutdown, start, repair\)/,
    );
    m.onCommand('shutdown', { reason: 'factory-shutdown: 93 °C' });
    assert.deepEqual(m.reported(), {
      state: 'stopped',
      stoppedBy: 'factory-shutdown: 93 °C',
      nominalRpm: m.nominalRpm,
      repairs: 0,
    });
    assert.deepEqual(m.onCommand('repair', {}), { repaired: true });
    assert.deepEqual(m.onCommand('start', {}), { running: true, rpm: m.nominalRpm });
    m.step(0, 7200);
    assert.equal(m.severity(), 0, 'repaired: the fault is gone');
    assert.equal(m.reported()?.repairs, 1);
  });

  test('any step size is stable (exact exponential steps)', () => {
    const m = new Machine(mulberry32(4), { atS: 0, growthS: 600 });
    for (const dt of [0.01, 1, 60, 3600, 86_400]) {
      const v = m.step(0, dt);
      for (const x of Object.values(v)) if (typeof x === 'number') assert.ok(Number.isFinite(x), `dt ${dt}`);
      assert.ok(m.temperature <= m.ambient + 35 + 15 + 45 * 2 + 1);
    }
  });
});

describe('factory pack', () => {
  test('devices: <pack>-<kind>-<n>, in the profile and the group', () => {
    const ds = factoryPack.devices(6);
    assert.deepEqual(
      ds.map((d) => d.id),
      [
        'factory-press-1',
        'factory-lathe-2',
        'factory-mill-3',
        'factory-grinder-4',
        'factory-press-5',
        'factory-lathe-6',
      ],
    );
    assert.ok(ds.every((d) => d.profile === 'factory-machine' && d.groups?.[0] === 'factory-machines'));
    assert.equal(ds[5]?.labels?.line, 'line-2');
  });

  test('rule durations are sim time: ÷ speed', () => {
    const at60 = factoryPack.rules({ speed: 60 });
    const shutdown = at60.find((r) => r.name === 'factory-shutdown') as { condition: { for: string } };
    assert.equal(shutdown.condition.for, '5000ms');
    const overheat = at60.find((r) => r.name === 'factory-overheat') as { condition: { for: string } };
    assert.equal(overheat.condition.for, '1000ms');
  });

  test('the seed decides the fleet: the same seed, the same telemetry; the first machine always fails', () => {
    const run = (seed: number) =>
      Array.from({ length: 8 }, (_, i) => {
        const m = factoryPack.model(factoryPack.devices(8)[i]!, i, { speed: 1 }, mulberry32(seed * 100 + i));
        return Array.from({ length: 400 }, () => m.step(0, 10));
      });
    assert.deepEqual(run(1), run(1));
    assert.notDeepEqual(run(1), run(2));
    for (const seed of [1, 2, 3, 4, 5]) {
      const m = factoryPack.model(factoryPack.devices(1)[0]!, 0, { speed: 1 }, mulberry32(seed)) as Machine;
      m.step(0, 4000);
      assert.ok(m.severity() > 0, `seed ${seed}: machine 1 has its fault within 4 min + growth`);
    }
  });

  test('fault injection: chosen machines, chosen onset', () => {
    const pack = createFactoryPack({ faulty: [1], faultAtS: 0, faultGrowthS: 100 });
    const [a, b] = [0, 1].map(
      (i) => pack.model(pack.devices(2)[i]!, i, { speed: 1 }, mulberry32(i)) as Machine,
    );
    a?.step(0, 50);
    b?.step(0, 50);
    assert.equal(a?.severity(), 0);
    assert.equal(b?.severity(), 0.5);
  });
});
