import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WakeWheel } from './wake-wheel.js';

test('items come due at their second, once; an earlier wake moves one, a later one waits for its slot', () => {
  const w = new WakeWheel<object, string>(10_000);
  const a = {};
  const b = {};
  const c = {};
  w.schedule(a, 'a', 13_500); // second 13
  w.schedule(b, 'b', 5_000); // already past: the next tick (second 11)
  w.schedule(c, 'c', 20_000);
  w.schedule(c, 'c', 12_000); // earlier: moved to second 12
  w.schedule(c, 'c', undefined); // no change: still due at 12 (stepping it then is harmless)
  assert.deepEqual(
    w.due(11_000).map((e) => e.value),
    ['b'],
  );
  assert.deepEqual(
    w.due(12_999).map((e) => e.value),
    ['c'],
  );
  w.schedule(a, 'a', 14_000); // later: keeps second 13 (it is stepped then, and scheduled again)
  assert.deepEqual(
    w.due(13_000).map((e) => e.value),
    ['a'],
  );
  w.schedule(a, 'a', 14_000);
  assert.deepEqual(
    w.due(14_000).map((e) => e.value),
    ['a'],
  );
  assert.deepEqual(
    w.due(30_000).map((e) => e.value),
    [],
    'each handed out once, the stale c at 20 skipped',
  );
});

test('after a long pause (or a clock jump) everything overdue is found', () => {
  const w = new WakeWheel<object, number>(0);
  const items = [{}, {}, {}];
  for (const [i, k] of items.entries()) w.schedule(k, i, 1000 * (i + 1) * 5000);
  assert.deepEqual(
    w.due(100_000_000).map((e) => e.value),
    [0, 1, 2],
  );
});
