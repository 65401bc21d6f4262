import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AnomalyState, createAnomaly } from './anomaly.js';
import type { Signal } from './types.js';

const pt = (key: string, ts: number, value: number | string | boolean): Signal => ({
  kind: 'point',
  key,
  ts,
  value,
});
const restart = (s: AnomalyState): AnomalyState => JSON.parse(JSON.stringify(s));

/** A deterministic uniform noise in [-0.5, 0.5) (MINSTD LCG): standard deviation 1/sqrt(12) ≈ 0.289. */
function noise(seed = 1): () => number {
  return () => {
    seed = (seed * 48_271) % 2_147_483_647;
    return seed / 2_147_483_647 - 0.5;
  };
}

test('needs only its key; other keys, events, ticks and non-numbers say nothing and leave the baseline', () => {
  const c = createAnomaly({ key: 'vib', threshold: 3, alpha: 0.1, warmup: 2 });
  assert.deepEqual(c.needs, { keys: ['vib'] });
  const s = c.initial();
  for (const sig of [
    pt('temp', 1, 99),
    pt('vib', 2, 'high'),
    pt('vib', 3, Number.NaN),
    { kind: 'tick', ts: 4 } as const,
    { kind: 'status', status: 'online', ts: 5 } as const,
  ]) {
    assert.equal(c.step(s, sig), undefined);
  }
  assert.deepEqual(s, { n: 0, mean: 0, variance: 0 });
});

test('hand-computed EWMA: judged against the baseline before the point, then the point joins it', () => {
  const c = createAnomaly({ key: 'v', threshold: 3, alpha: 0.5, warmup: 2 });
  let s = c.initial();
  const feed = (x: number) => c.step(s, pt('v', 0, x));
  assert.equal(feed(10), false); // seeds the mean
  assert.deepEqual(s, { n: 1, mean: 10, variance: 0 });
  assert.equal(feed(12), false); // 1 point < warmup 2; diff 2, incr 1
  assert.deepEqual(s, { n: 2, mean: 11, variance: 1 }); // 0.5 * (0 + 2 * 1)
  assert.equal(feed(10), false); // z = |10 - 11| / 1 = 1
  assert.deepEqual(s, { n: 3, mean: 10.5, variance: 0.75 }); // 0.5 * (1 + -1 * -0.5)
  s = restart(s);
  assert.equal(feed(20), true); // z = 9.5 / sqrt(0.75) ≈ 10.97
  assert.deepEqual(s, { n: 4, mean: 15.25, variance: 22.9375 }); // 0.5 * (0.75 + 9.5 * 4.75)
  assert.equal(feed(29), false); // z = 13.75 / sqrt(22.9375) ≈ 2.87: the spike widened the baseline
  assert.deepEqual(s, { n: 5, mean: 22.125, variance: 58.734375 });
  assert.equal(feed(46), true); // z = 23.875 / sqrt(58.734375) ≈ 3.12
});

test('before warmup nothing fires, and a flat baseline (variance 0) never does', () => {
  const c = createAnomaly({ key: 'v', threshold: 3, alpha: 0.2, warmup: 3 });
  const s = c.initial();
  assert.deepEqual(
    [1, 1000, -1000].map((x) => c.step(s, pt('v', 0, x))),
    [false, false, false],
  );
  const flat = c.initial();
  assert.deepEqual(
    [5, 5, 5, 5, 6].map((x) => c.step(flat, pt('v', 0, x))),
    [false, false, false, false, false],
  );
  assert.equal(flat.variance > 0, true); // 6 gave it a scale: a big jump now fires
  assert.equal(c.step(flat, pt('v', 0, 100)), true);
});

test('a steady noisy signal does not fire after warmup; a 10-sigma spike does', () => {
  const c = createAnomaly({ key: 'v', threshold: 3, alpha: 0.05, warmup: 30 });
  let s = c.initial();
  const u = noise();
  for (let i = 0; i < 5000; i++) {
    if (i === 2500) s = restart(s);
    assert.equal(c.step(s, pt('v', i, 20 + u())), false, `point ${i}`);
  }
  const sigma = Math.sqrt(s.variance);
  assert.ok(Math.abs(s.mean - 20) < 0.1 && Math.abs(sigma - 1 / Math.sqrt(12)) < 0.05, JSON.stringify(s));
  assert.equal(c.step(s, pt('v', 5000, s.mean + 10 * sigma)), true);
  assert.equal(c.step(s, pt('v', 5001, 20)), false); // back to normal
  const down = createAnomaly({ key: 'v', threshold: 3, alpha: 0.05, warmup: 30 });
  const s2 = restart(s);
  assert.equal(down.step(s2, pt('v', 5002, s2.mean - 10 * Math.sqrt(s2.variance))), true); // both directions
});

test('a slow drift does not fire: the baseline follows it', () => {
  const c = createAnomaly({ key: 'v', threshold: 3, alpha: 0.05, warmup: 30 });
  const s = c.initial();
  const u = noise(7);
  // +10 over 5000 points: 35 noise sigmas in all, 0.007 sigma per point.
  for (let i = 0; i < 5000; i++)
    assert.equal(c.step(s, pt('v', i, 20 + 0.002 * i + u())), false, `point ${i}`);
  // The mean trails the level (29.998) by 0.002 * (1 - alpha) / alpha = 0.038, give or take its own
  // noise (0.289 * sqrt(alpha / (2 - alpha)) ≈ 0.046).
  assert.ok(Math.abs(s.mean - (29.998 - 0.038)) < 0.15, `mean ${s.mean} follows the level`);
  // A pure ramp settles at z = 1 / sqrt(1 - alpha) ≈ 1.03 however steep it is.
  const ramp = c.initial();
  for (let i = 0; i < 1000; i++) assert.equal(c.step(ramp, pt('v', i, 1000 * i)), false);
});
