import assert from 'node:assert/strict';
import { test } from 'node:test';
import { between, deviceSeed, gaussian, mulberry32 } from './rng.js';

test('mulberry32: the same seed gives the same sequence, another seed another one', () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  const c = mulberry32(43);
  const sa = Array.from({ length: 5 }, a);
  assert.deepEqual(sa, Array.from({ length: 5 }, b));
  assert.notDeepEqual(sa, Array.from({ length: 5 }, c));
});

test('mulberry32: values in [0, 1), spread evenly', () => {
  const r = mulberry32(7);
  const bins = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (let i = 0; i < 100_000; i++) {
    const x = r();
    assert.ok(x >= 0 && x < 1, String(x));
    bins[Math.floor(x * 10)] = (bins[Math.floor(x * 10)] ?? 0) + 1;
  }
  for (const n of bins) assert.ok(n > 9_500 && n < 10_500, `bin of ${n}`);
});

test('deviceSeed: distinct per device and per run seed, stable', () => {
  const seeds = new Set(Array.from({ length: 1000 }, (_, i) => deviceSeed(1, i)));
  assert.equal(seeds.size, 1000);
  assert.equal(deviceSeed(1, 5), deviceSeed(1, 5));
  assert.notEqual(deviceSeed(1, 5), deviceSeed(2, 5));
});

test('gaussian: mean about 0, standard deviation about 1', () => {
  const r = mulberry32(3);
  const xs = Array.from({ length: 50_000 }, () => gaussian(r));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
  assert.ok(Math.abs(mean) < 0.02, `mean ${mean}`);
  assert.ok(Math.abs(sd - 1) < 0.02, `sd ${sd}`);
  assert.ok(xs.every(Number.isFinite));
});

test('between: inside its bounds', () => {
  const r = mulberry32(9);
  for (let i = 0; i < 1000; i++) {
    const x = between(r, -2, 3);
    assert.ok(x >= -2 && x < 3);
  }
});
