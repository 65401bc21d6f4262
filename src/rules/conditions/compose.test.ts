import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAllAny, createFor, createNot } from './compose.js';
import { createEventMatch, createInactivity, createStatus } from './device.js';
import { createRange, createThreshold } from './threshold.js';
import type { Condition, Signal } from './types.js';

const pt = (key: string, ts: number, value: number | string | boolean): Signal => ({
  kind: 'point',
  key,
  ts,
  value,
});
const tick = (ts: number): Signal => ({ kind: 'tick', ts });

/** Steps a fresh state through the signals; the answers in order (state round-trips JSON halfway). */
function run(c: Condition, signals: Signal[]): (boolean | undefined)[] {
  let state = c.initial();
  return signals.map((s, i) => {
    if (i === Math.floor(signals.length / 2)) state = JSON.parse(JSON.stringify(state)); // a restart
    return c.step(state, s);
  });
}

test('threshold compares numbers, and strings or booleans with == and !=; other keys say nothing', () => {
  const hot = createThreshold({ key: 'temp', op: '>', value: 80 });
  assert.deepEqual(run(hot, [pt('temp', 1, 79), pt('temp', 2, 81), pt('vib', 3, 99), pt('temp', 4, 'x')]), [
    false,
    true,
    undefined,
    undefined,
  ]);
  const open = createThreshold({ key: 'door', op: '==', value: 'open' });
  assert.deepEqual(run(open, [pt('door', 1, 'open'), pt('door', 2, 'closed')]), [true, false]);
});

test('range holds outside [min, max] by default, inside on request; an open bound is open', () => {
  const r = createRange({ key: 'p', min: 2, max: 6, when: 'outside' });
  assert.deepEqual(run(r, [pt('p', 1, 1.9), pt('p', 2, 2), pt('p', 3, 6), pt('p', 4, 6.1)]), [
    true,
    false,
    false,
    true,
  ]);
  const atLeast = createRange({ key: 'p', min: 2, when: 'inside' });
  assert.deepEqual(run(atLeast, [pt('p', 1, 1), pt('p', 2, 1e9)]), [false, true]);
});

test('for: the part must hold without a break for the duration; ticks complete it when the device is quiet', () => {
  const c = createFor(createThreshold({ key: 't', op: '>', value: 90 }), 5000);
  assert.deepEqual(
    run(c, [
      pt('t', 0, 95),
      pt('t', 3000, 96),
      pt('t', 4000, 80),
      pt('t', 6000, 91),
      tick(10_000),
      tick(11_000),
      pt('t', 12_000, 50),
    ]),
    [false, false, false, false, undefined, true, false],
    'a tick before the duration says nothing: it may complete it, never revoke it',
  );
});

test('all / any / not combine their parts; a part that has not answered counts as false', () => {
  const hot = createThreshold({ key: 't', op: '>', value: 90 });
  const shaky = createThreshold({ key: 'v', op: '>', value: 2 });
  const all = createAllAny('all', [hot, shaky]);
  assert.deepEqual(run(all, [pt('t', 1, 95), pt('v', 2, 3), pt('t', 3, 50), pt('x', 4, 1)]), [
    false,
    true,
    false,
    undefined,
  ]);
  const any = createAllAny('any', [hot, shaky]);
  assert.deepEqual(run(any, [pt('t', 1, 50), pt('v', 2, 3), pt('v', 3, 1)]), [false, true, false]);
  assert.deepEqual(run(createNot(hot), [pt('t', 1, 95), pt('t', 2, 50), pt('y', 3, 1)]), [
    false,
    true,
    undefined,
  ]);
  assert.deepEqual(all.needs, { keys: ['t', 'v'] });
});

test('inactivity: no data for the duration, counted from the last point or from the first look', () => {
  const c = createInactivity({ afterMs: 10_000 });
  assert.deepEqual(
    run(c, [tick(0), tick(9_999), tick(10_000), pt('t', 10_500, 1), tick(15_000), tick(20_500)]),
    [false, false, true, false, false, true],
  );
});

test('status follows online/offline; an event match is true once per matching event', () => {
  const off = createStatus({ is: 'offline' });
  const st = (status: 'online' | 'offline', ts: number): Signal => ({ kind: 'status', status, ts });
  assert.deepEqual(run(off, [st('online', 1), st('offline', 2), pt('t', 3, 1)]), [false, true, undefined]);
  const ev = createEventMatch({ eventType: 'fault', where: { code: 7 } });
  const e = (type: string, ts: number, data: Record<string, unknown>): Signal => ({
    kind: 'event',
    type,
    ts,
    data,
  });
  assert.deepEqual(
    run(ev, [
      e('fault', 1, { code: 7 }),
      tick(2),
      tick(3),
      e('fault', 4, { code: 8 }),
      e('fault', 5, { code: 7 }),
    ]),
    [true, false, undefined, undefined, true],
  );
});
