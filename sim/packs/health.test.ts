import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAnomaly } from '../../src/rules/conditions/anomaly.js';
import { SimError } from '../api.js';
import { mulberry32 } from '../rng.js';
import { careTeamUsers, createHealthPack } from './health.js';
import { baselineOf, Wearable } from './health-models.js';

const START = 10 * 3600;
const anomalyRule = () => {
  const r = createHealthPack()
    .rules({ speed: 1 })
    .find((x) => x.name === 'health-heart-rate-anomaly') as {
    condition: { threshold: number; alpha: number; warmup: number };
  };
  return createAnomaly({ key: 'heart_rate', ...r.condition });
};

/** Runs a wearable `n` readings of `dt` sim seconds; each reading and whether the pack's anomaly rule held. */
function run(w: Wearable, n: number, dt: number) {
  const rule = anomalyRule();
  const state = rule.initial();
  return Array.from({ length: n }, (_, i) => {
    const v = w.step(0, dt);
    const anomaly =
      rule.step(state, { kind: 'point', key: 'heart_rate', ts: i, value: v.heart_rate }) === true;
    return { ...v, anomaly, t: (i + 1) * dt, active: w.active() };
  });
}

test('each patient has their own seeded baseline in the range of a calm adult', () => {
  const a = baselineOf(mulberry32(1));
  assert.deepEqual(a, baselineOf(mulberry32(1)));
  assert.notDeepEqual(a, baselineOf(mulberry32(2)));
  for (let s = 1; s < 50; s++) {
    const b = baselineOf(mulberry32(s));
    assert.ok(b.heartRate >= 58 && b.heartRate <= 82, `hr ${b.heartRate}`);
    assert.ok(b.spo2 >= 95.5 && b.spo2 <= 98.5, `spo2 ${b.spo2}`);
  }
});

test('a healthy day stays normal: no desaturation, a plausible rate, the anomaly rule (almost) silent', () => {
  for (const dt of [5, 60]) {
    for (let seed = 1; seed <= 5; seed++) {
      const rng = mulberry32(seed);
      const readings = run(new Wearable(baselineOf(rng), [], 0, START, rng), 1440, dt);
      for (const r of readings) {
        assert.ok(r.spo2 >= 92 && r.spo2 <= 100, `spo2 ${r.spo2}`);
        assert.ok(r.heart_rate >= 45 && r.heart_rate <= 115, `hr ${r.heart_rate}`);
      }
      const fired = readings.filter((r) => r.anomaly).length;
      assert.ok(fired <= 1, `seed ${seed} dt ${dt}: ${fired} false anomalies`);
    }
  }
});

test('tachycardia: waits for the baseline, the rate jumps over 120, the anomaly rule fires, then it recovers', () => {
  const rng = mulberry32(3);
  const w = new Wearable(
    baselineOf(rng),
    [{ kind: 'tachycardia', atS: 600, durationS: 900 }],
    40,
    START,
    rng,
  );
  const readings = run(w, 120, 60);
  const began = w.began[0] as number;
  assert.equal(began, 41 * 60, 'began at the 41st reading, not at 10 min: the baseline came first');
  const during = readings.filter((r) => r.t > began + 60 && r.t < began + 900);
  assert.ok(
    during.every((r) => r.heart_rate > 120),
    'over 120 bpm throughout',
  );
  const firstAnomaly = readings.findIndex((r) => r.anomaly);
  assert.ok(firstAnomaly >= 40 && firstAnomaly <= 41, `anomaly at reading ${firstAnomaly}`);
  const after = readings.filter((r) => r.t > began + 900 + 900);
  assert.ok(after.length > 0 && after.every((r) => r.heart_rate < 105), 'back to normal');
  assert.ok(
    readings.every((r) => r.spo2 >= 92),
    'SpO2 untouched',
  );
});

test('desaturation: SpO2 slides under 90 for minutes, then recovers', () => {
  const rng = mulberry32(4);
  const w = new Wearable(baselineOf(rng), [{ kind: 'desaturation', atS: 0, durationS: 900 }], 0, START, rng);
  const readings = run(w, 120, 30);
  const low = readings.filter((r) => r.spo2 < 90);
  assert.ok(low.length * 30 >= 300, `under 90 % for ${low.length * 30} s`);
  assert.ok(low.every((r) => r.active.includes('desaturation') || r.t < 900 + 600));
  assert.ok(
    readings.slice(-20).every((r) => r.spo2 >= 92),
    'recovered',
  );
  assert.ok(Math.min(...readings.map((r) => r.spo2)) >= 83, 'never implausibly low');
});

test('the pack: patients, labels, episodes per patient, rule durations divided by the speed', () => {
  const p = createHealthPack({
    episodes: [{ patient: 2, kind: 'desaturation', atMin: 0, minutes: 5 }],
    minReadings: 0,
  });
  const devices = p.devices(3);
  assert.deepEqual(
    devices.map((d) => [d.id, d.labels?.patient]),
    [
      ['health-wearable-1', 'patient-001'],
      ['health-wearable-2', 'patient-002'],
      ['health-wearable-3', 'patient-003'],
    ],
  );
  const lows = devices.map((d, i) => {
    const m = p.model(d, i, { speed: 60 }, mulberry32(i));
    return Array.from({ length: 20 }, () => m.step(0, 30)?.spo2 as number).filter((x) => x < 90).length;
  });
  assert.equal(lows[0], 0);
  assert.ok((lows[1] as number) > 0);
  assert.equal(lows[2], 0);
  const rules = p.rules({ speed: 60 }) as {
    name: string;
    condition: { for?: string };
    alarm: { severity: string };
  }[];
  assert.equal(rules.find((r) => r.name === 'health-desaturation')?.condition.for, '1000ms');
  assert.ok(rules.every((r) => r.alarm.severity === 'critical'));
  assert.deepEqual(careTeamUsers('clinic', ['nurse', 'doctor']), ['clinic-nurse', 'clinic-doctor']);
});

test('bad options are refused with what was expected', () => {
  const invalid = (e: unknown) => e instanceof SimError && e.code === 'SIM_OPTION_INVALID';
  assert.throws(
    () => createHealthPack({ episodes: [{ patient: 0, kind: 'tachycardia', atMin: 1 }] }),
    invalid,
  );
  assert.throws(
    () => createHealthPack({ episodes: [{ patient: 1, kind: 'stroke' as 'tachycardia', atMin: 1 }] }),
    /kind must be tachycardia or desaturation/,
  );
  assert.throws(
    () => createHealthPack({ episodes: [{ patient: 1, kind: 'tachycardia', atMin: -1 }] }),
    /atMin/,
  );
  assert.throws(
    () => createHealthPack({ episodes: [{ patient: 1, kind: 'tachycardia', atMin: 1, minutes: 0 }] }),
    /minutes/,
  );
  assert.throws(() => createHealthPack({ minReadings: 1.5 }), /minReadings/);
  assert.throws(() => createHealthPack({ careTeam: ['Nurse Ana'] }), /careTeam/);
  assert.throws(() => createHealthPack({ careTeamPassword: 'short' }), /careTeamPassword must be 8-256/);
  assert.throws(() => createHealthPack({ start: '7' }), /start must be a time of day/);
  assert.throws(() => createHealthPack().devices(-1), /devices must be/);
  assert.throws(
    () => createHealthPack().model({ id: 'home-door-1', profile: 'x' }, 0, { speed: 1 }, Math.random),
    /not a health device/,
  );
});
