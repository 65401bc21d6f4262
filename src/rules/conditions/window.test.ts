import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Signal } from './types.js';
import { createWindow, MAX_POINTS, type WindowState } from './window.js';

const pt = (key: string, ts: number, value: number | string | boolean): Signal => ({
  kind: 'point',
  key,
  ts,
  value,
});
const tick = (ts: number): Signal => ({ kind: 'tick', ts });
const restart = (s: WindowState): WindowState => JSON.parse(JSON.stringify(s));
type Spec = Parameters<typeof createWindow>[0];

/** Steps a fresh state through the signals; the state round-trips JSON before every `restartAt` index. */
function run(spec: Spec, signals: Signal[], restartAt: number[] = []): (boolean | undefined)[] {
  const c = createWindow(spec);
  let state = c.initial();
  return signals.map((s, i) => {
    if (restartAt.includes(i)) state = restart(state);
    return c.step(state, s);
  });
}

test('needs the key and ticks', () => {
  const c = createWindow({ key: 't', agg: 'avg', windowMs: 1000, mode: 'sliding', op: '>', value: 1 });
  assert.deepEqual(c.needs, { keys: ['t'], ticks: true });
});

test('sliding avg: window (ts - windowMs, ts]; ticks expire; empty window is false; survives a restart', () => {
  const spec: Spec = { key: 't', agg: 'avg', windowMs: 5000, mode: 'sliding', op: '>', value: 10 };
  const answers = run(
    spec,
    [
      tick(500), // no point yet: nothing to say
      pt('t', 1000, 8), // [8] avg 8
      pt('t', 2000, 14), // [8, 14] avg 11
      pt('x', 2500, 1000), // other key
      { kind: 'event', type: 'e', ts: 2600, data: {} },
      pt('t', 2700, 'hot'), // not a number
      pt('t', 6000, 2), // 1000 = 6000 - 5000 leaves: [14, 2] avg 8
      pt('t', 6500, 30), // [14, 2, 30] avg 15.33
      pt('t', 1500, 100), // late: 1500 <= 6500 - 5000
      tick(7000), // 2000 leaves: [2, 30] avg 16
      tick(11_000), // 6000 leaves: [30]
      tick(11_500), // 6500 leaves: empty
      pt('t', 12_000, 11), // [11]
    ],
    [6, 10],
  );
  assert.deepEqual(answers, [
    undefined,
    false,
    true,
    undefined,
    undefined,
    undefined,
    false,
    true,
    undefined,
    true,
    true,
    false,
    true,
  ]);
});

test('sliding count can fall to 0 on ticks; sum over nothing is false', () => {
  const count: Spec = { key: 't', agg: 'count', windowMs: 1000, mode: 'sliding', op: '==', value: 0 };
  const signals = [pt('t', 0, 1), pt('t', 500, 1), tick(999), tick(1000), tick(1500), tick(1600)];
  assert.deepEqual(run(count, signals, [3]), [false, false, false, false, true, true]);
  const atLeast2: Spec = { ...count, op: '>=', value: 2 };
  assert.deepEqual(run(atLeast2, signals), [false, true, true, false, false, false]);
  const sum: Spec = { ...count, agg: 'sum', op: '<', value: 5 };
  assert.deepEqual(run(sum, signals), [true, true, true, true, false, false]);
});

test('sliding max/min keep a monotonic deque, judged exactly as points leave', () => {
  const spec: Spec = { key: 't', agg: 'max', windowMs: 10, mode: 'sliding', op: '==', value: 0 };
  const c = createWindow(spec);
  const s = c.initial();
  for (const [ts, v] of [
    [0, 5],
    [1, 3],
    [2, 4],
    [3, 1],
  ] as const)
    c.step(s, pt('t', ts, v));
  assert.deepEqual(s.deque.ts.slice(s.deque.head), [0, 2, 3]);
  assert.deepEqual(s.deque.vs.slice(s.deque.head), [5, 4, 1]);
  const max = (v: number) => createWindow({ ...spec, value: v });
  assert.equal(max(5).step(s, tick(9)), true); // 0..3 live
  assert.equal(max(4).step(s, tick(10)), true); // 0 left: [3, 4, 1]
  assert.equal(max(4).step(s, tick(11)), true); // 1 left: [4, 1]
  assert.equal(max(4).step(s, tick(12)), false); // 2 left: [1]
  assert.equal(max(1).step(s, tick(12)), true);
  const d = restart(s).deque;
  assert.deepEqual([d.ts.slice(d.head), d.vs.slice(d.head)], [[3], [1]]);
  const min: Spec = { ...spec, agg: 'min', op: '<=', value: 2 };
  const signals = [pt('t', 0, 1), pt('t', 5, 3), pt('t', 6, 2), tick(10), tick(15), tick(16)];
  // [1] [1, 3] [1, 3, 2] [3, 2] [2] []
  assert.deepEqual(run(min, signals, [3]), [true, true, true, true, true, false]);
  assert.deepEqual(run({ ...min, op: '<' }, signals), [true, true, true, false, false, false]);
});

test('sliding: an out-of-order point still inside the window is inserted in ts order', () => {
  const spec: Spec = { key: 't', agg: 'max', windowMs: 100, mode: 'sliding', op: '>=', value: 50 };
  // 60 arrives after 150 but belongs before it: it leaves when 160 arrives, not later.
  assert.deepEqual(run(spec, [pt('t', 150, 10), pt('t', 60, 70), pt('t', 159, 1), pt('t', 160, 1)]), [
    false,
    true,
    true,
    false,
  ]);
  const count: Spec = { ...spec, agg: 'count', op: '==', value: 2 };
  assert.deepEqual(run(count, [pt('t', 150, 10), pt('t', 60, 70), pt('t', 160, 1)]), [false, true, true]);
});

test('sliding matches a brute-force model on a random stream (all aggregates, restarts included)', () => {
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 48_271) % 2_147_483_647;
    return seed % n;
  };
  for (const agg of ['avg', 'min', 'max', 'sum', 'count'] as const) {
    const base: Spec = { key: 't', agg, windowMs: 50, mode: 'sliding', op: '==', value: 0 };
    let state = createWindow(base).initial();
    let live: [number, number][] = [];
    let newest = Number.NEGATIVE_INFINITY;
    let now = 0;
    for (let i = 0; i < 3000; i++) {
      if (i % 500 === 250) state = restart(state);
      now += rand(10);
      let sig: Signal;
      let expectUndefined = false;
      if (rand(5) === 0) {
        sig = tick(now);
        expectUndefined = newest === Number.NEGATIVE_INFINITY; // no point yet
        live = live.filter(([t]) => t > now - 50);
      } else {
        const ts = now - rand(60); // some late, some out of order
        const v = rand(200) - 100;
        sig = pt('t', ts, v);
        if (ts <= newest - 50) expectUndefined = true;
        else {
          live.push([ts, v]);
          newest = Math.max(newest, ts);
          live = live.filter(([t]) => t > newest - 50);
        }
      }
      const vs = live.map(([, v]) => v);
      const sum = vs.reduce((a, v) => a + v, 0);
      const agg1 = {
        avg: sum / vs.length,
        sum,
        count: vs.length,
        min: Math.min(...vs),
        max: Math.max(...vs),
      }[agg];
      const got = createWindow({ ...base, value: agg1 }).step(state, sig);
      const expected = expectUndefined ? undefined : agg === 'count' || vs.length > 0;
      assert.equal(got, expected, `${agg} step ${i}`);
    }
  }
});

test('sliding keeps at most MAX_POINTS, dropping the oldest; points at or before them are then late', () => {
  const c = createWindow({
    key: 't',
    agg: 'count',
    windowMs: 1e9,
    mode: 'sliding',
    op: '==',
    value: MAX_POINTS,
  });
  let s = c.initial();
  let last: boolean | undefined;
  for (let i = 0; i < MAX_POINTS + 5; i++) last = c.step(s, pt('t', i, 1));
  assert.equal(last, true);
  s = restart(s);
  assert.equal(s.buf.ts[s.buf.head], 5);
  assert.equal(s.buf.ts.length - s.buf.head, MAX_POINTS);
  assert.equal(c.step(s, pt('t', 4, 1)), undefined);
  assert.equal(c.step(s, pt('t', 7, 1)), true); // in order within the cap: 5 leaves
  assert.equal(s.buf.ts[s.buf.head], 6);
  assert.equal(s.sum, MAX_POINTS);
});

test('tumbling sum: the first point of a later window (or a tick past its end) closes it', () => {
  const spec: Spec = { key: 't', agg: 'sum', windowMs: 1000, mode: 'tumbling', op: '>', value: 10 };
  const answers = run(
    spec,
    [
      tick(50), // no window yet
      pt('t', 100, 4),
      pt('t', 999, 5),
      pt('t', 1000, 1), // closes [0, 1000): sum 9
      pt('x', 1200, 99),
      pt('t', 1500, 20),
      tick(1999),
      tick(2000), // closes [1000, 2000): sum 21
      tick(2500),
      tick(3000), // closes [2000, 3000): empty
      pt('t', 2500, 50), // that window is closed
      pt('t', 3100, 50),
      pt('t', 5200, 1), // closes [3000, 4000) and [4000, 5000): the latter, empty, answers
    ],
    [2, 8],
  );
  assert.deepEqual(answers, [
    undefined,
    undefined,
    undefined,
    false,
    undefined,
    undefined,
    undefined,
    true,
    undefined,
    false,
    undefined,
    undefined,
    false,
  ]);
});

test('tumbling count of an empty window compares 0; avg, min and max', () => {
  const silent: Spec = { key: 't', agg: 'count', windowMs: 60_000, mode: 'tumbling', op: '<', value: 2 };
  const signals = [pt('t', 60_000, 5), pt('t', 61_000, 9), pt('t', 62_000, 1), tick(120_000), tick(180_000)];
  assert.deepEqual(run(silent, signals, [2]), [undefined, undefined, undefined, false, true]);
  const avg: Spec = { ...silent, agg: 'avg', op: '==', value: 5 };
  assert.deepEqual(run(avg, signals, [1]), [undefined, undefined, undefined, true, false]);
  const min: Spec = { ...silent, agg: 'min', op: '==', value: 1 };
  assert.deepEqual(run(min, signals, [3]), [undefined, undefined, undefined, true, false]);
  const max: Spec = { ...silent, agg: 'max', op: '>=', value: 9 };
  assert.deepEqual(run(max, [...signals, pt('t', 180_500, -3), tick(240_000)], [1, 5]), [
    undefined,
    undefined,
    undefined,
    true,
    false,
    undefined,
    false,
  ]);
});

test('state is plain JSON: no Infinity or NaN sneaks in', () => {
  for (const mode of ['sliding', 'tumbling'] as const) {
    const c = createWindow({ key: 't', agg: 'min', windowMs: 10, mode, op: '<', value: 0 });
    const s = c.initial();
    assert.deepEqual(restart(s), s);
    c.step(s, pt('t', 1, Number.POSITIVE_INFINITY));
    c.step(s, pt('t', 2, Number.NaN));
    c.step(s, pt('t', 3, -1));
    c.step(s, tick(100));
    assert.deepEqual(restart(s), s);
  }
});

test('sliding: a steady stream keeps the state small (dead entries are dropped, not hoarded)', () => {
  for (const agg of ['avg', 'max'] as const) {
    const c = createWindow({ key: 'k', agg, windowMs: 10_000, mode: 'sliding', op: '>', value: 1e9 });
    const s = c.initial();
    let biggest = 0;
    // A sensor at 1 Hz for an hour, values wandering (so the max deque has work too).
    for (let i = 0; i < 3600; i++) {
      c.step(s, pt('k', i * 1000, Math.sin(i / 7) * 10));
      biggest = Math.max(biggest, s.buf.ts.length, s.deque.ts.length);
    }
    // 10 live points: at most 16 dead ones beside them, whatever the run's length.
    assert.ok(biggest <= 27, `${agg}: arrays reached ${biggest} entries`);
    assert.ok(
      JSON.stringify(s).length < 1500,
      `${agg}: ${JSON.stringify(s).length} bytes saved per snapshot`,
    );
  }
});
