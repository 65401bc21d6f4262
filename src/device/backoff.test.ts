import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffCap, backoffDelay } from './backoff.js';

const range = { minMs: 1000, maxMs: 30_000 };

test('the window doubles per attempt from minMs and stops at maxMs', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6].map((n) => backoffCap(n, range)),
    [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000],
  );
});

test('huge or odd attempt numbers neither overflow nor go negative', () => {
  assert.equal(backoffCap(10_000, range), 30_000);
  assert.equal(backoffCap(-3, range), 1000);
  assert.equal(backoffCap(2.7, range), 4000);
});

test('the delay is uniform over [0, cap): full jitter', () => {
  assert.equal(
    backoffDelay(3, range, () => 0),
    0,
  );
  assert.equal(
    backoffDelay(3, range, () => 0.5),
    4000,
  );
  assert.equal(
    backoffDelay(3, range, () => 0.999_999_9),
    7999,
  );
  assert.equal(
    backoffDelay(20, range, () => 0.5),
    15_000,
  );
});

test('a broken random source still gives a delay inside the window', () => {
  for (const r of [Number.NaN, -1, 2, Number.POSITIVE_INFINITY]) {
    const d = backoffDelay(2, range, () => r);
    assert.ok(d >= 0 && d < 4000, `${r} → ${d}`);
  }
});

test('with Math.random a thousand delays spread over the whole window', () => {
  const delays = Array.from({ length: 1000 }, () => backoffDelay(1, range, Math.random));
  assert.ok(delays.every((d) => Number.isInteger(d) && d >= 0 && d < 2000));
  // Both halves of the window are used (the chance of failing by luck is 2·2^-1000).
  assert.ok(delays.some((d) => d < 1000) && delays.some((d) => d >= 1000));
});

test('minMs equal to maxMs gives a fixed window', () => {
  assert.equal(backoffCap(7, { minMs: 50, maxMs: 50 }), 50);
});
