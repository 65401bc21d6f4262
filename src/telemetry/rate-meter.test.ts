import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateMeter } from './rate-meter.js';

test('rates over the last full seconds; the current second and older ones do not count', () => {
  const m = new RateMeter(10);
  const t0 = 1_000_000_000_000;
  for (let s = 0; s < 12; s++) m.add('a', t0 + s * 1000 + 10, 90);
  m.add('a', t0 + 12_000 + 5, 1000); // the current second
  assert.deepEqual(m.rate('a', t0 + 12_500), { pointsPerSecond: 90, messagesPerSecond: 1 });
  assert.deepEqual(m.rate('b', t0), { pointsPerSecond: 0, messagesPerSecond: 0 });
  // Quiet for a minute: nothing left in the window.
  assert.deepEqual(m.rate('a', t0 + 80_000), { pointsPerSecond: 0, messagesPerSecond: 0 });
});
