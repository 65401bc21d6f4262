import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FailureThrottle } from './failure-throttle.js';

test('an address is held back after maxFailures, with a doubling hold', () => {
  let now = 1_000_000;
  const t = new FailureThrottle({ maxFailures: 3, windowMs: 60_000 }, { now: () => now });
  t.fail('a');
  t.fail('a');
  assert.equal(t.retryAfter('a'), 0);
  t.fail('a');
  assert.equal(t.retryAfter('a'), 1000);
  now += 1000;
  assert.equal(t.retryAfter('a'), 0);
  t.fail('a');
  assert.equal(t.retryAfter('a'), 2000);
  assert.equal(t.retryAfter('b'), 0, 'other addresses are not affected');
});

test('failures outside the window are forgotten', () => {
  let now = 0;
  const t = new FailureThrottle({ maxFailures: 2, windowMs: 10_000 }, { now: () => now });
  t.fail('a');
  now += 20_000;
  t.fail('a');
  assert.equal(t.retryAfter('a'), 0);
});

test('the hold is capped', () => {
  const now = 0;
  const t = new FailureThrottle({ maxFailures: 1, windowMs: 1e9, maxHoldMs: 5000 }, { now: () => now });
  for (let i = 0; i < 30; i++) t.fail('a');
  assert.equal(t.retryAfter('a'), 5000);
});
