import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRate, type RateState } from './rate.js';
import type { Signal } from './types.js';

const pt = (key: string, ts: number, value: number | string | boolean): Signal => ({
  kind: 'point',
  key,
  ts,
  value,
});
const restart = (s: RateState): RateState => JSON.parse(JSON.stringify(s));

test('needs only its key', () => {
  assert.deepEqual(createRate({ key: 'level', perMs: 1000, op: '>', value: 0 }).needs, { keys: ['level'] });
});

test('rate per minute between consecutive points; first point and bad points say nothing', () => {
  const c = createRate({ key: 'level', perMs: 60_000, op: '>', value: 5 });
  let s = c.initial();
  const step = (sig: Signal) => c.step(s, sig);
  assert.equal(step(pt('level', 0, 10)), undefined); // baseline only
  assert.equal(step(pt('level', 30_000, 12)), false); // 2 per 30 s = 4 per minute
  assert.equal(step(pt('other', 45_000, 1000)), undefined);
  assert.equal(step({ kind: 'tick', ts: 50_000 }), undefined);
  s = restart(s);
  assert.deepEqual(s, { ts: 30_000, v: 12 });
  assert.equal(step(pt('level', 60_000, 15)), true); // 3 per 30 s = 6 per minute
  assert.equal(step(pt('level', 60_000, 100)), undefined); // same ts: ignored
  assert.equal(step(pt('level', 50_000, 0)), undefined); // out of order: ignored
  assert.equal(step(pt('level', 70_000, 'full')), undefined); // not a number
  assert.equal(step(pt('level', 75_000, Number.POSITIVE_INFINITY)), undefined);
  assert.deepEqual(s, { ts: 60_000, v: 15 }); // none of them moved the baseline
  assert.equal(step(pt('level', 120_000, 15)), false); // flat: 0 per minute
  assert.equal(step(pt('level', 120_001, 15.1)), true); // 0.1 per ms = 6000 per minute
});

test('falling rates and exact boundaries (the product is taken before the division)', () => {
  const dropping = createRate({ key: 'p', perMs: 1000, op: '<=', value: -0.5 });
  const s = dropping.initial();
  assert.equal(dropping.step(s, pt('p', 1000, 100)), undefined);
  assert.equal(dropping.step(s, pt('p', 3000, 99)), true); // -1 per 2 s = -0.5 per s exactly
  assert.equal(dropping.step(s, pt('p', 6000, 98)), false); // -1/3 per s
  const exact = createRate({ key: 'p', perMs: 60_000, op: '==', value: 4 });
  const e = exact.initial();
  exact.step(e, pt('p', 0, 0.1));
  assert.equal(exact.step(e, pt('p', 30_000, 2.1)), true); // 2 per 30 s, per minute: exactly 4
});
