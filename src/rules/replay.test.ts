import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCondition, type Signal } from './conditions/index.js';
import { replay } from './replay.js';

const MIN = 60_000;
const compile = (raw: unknown) => {
  const { condition, problems } = parseCondition(raw);
  assert.deepEqual(problems, []);
  return condition as NonNullable<typeof condition>;
};
const points = (values: number[], step = MIN): Signal[] =>
  values.map((value, i) => ({ kind: 'point', key: 't', ts: i * step, value }));

test('a duration fires when it has held long enough, ends when it stops; the throttle decides acts', () => {
  const c = compile({ type: 'threshold', key: 't', op: '>', value: 90, for: '3m' });
  const values = [...Array(5).fill(50), ...Array(5).fill(95), ...Array(5).fill(50), ...Array(5).fill(95), 50];
  const f = replay(c, 'd', points(values), { from: 0, to: 21 * MIN, tickMs: 1000, throttleMs: 60 * MIN });
  assert.deepEqual(
    f.map((x) => [x.at / MIN, x.until === null ? null : x.until / MIN, x.acts]),
    [
      [8, 10, true],
      [18, 20, false],
    ],
  );
  assert.equal(f[0]?.key, 't');
  assert.equal(f[0]?.value, 95);
});

test('ticks make time-driven conditions fire between points, and a firing may still hold at the end', () => {
  const c = compile({ type: 'inactivity', after: '10m' });
  const s: Signal[] = [
    { kind: 'point', key: 'x', ts: 0, value: 1 },
    { kind: 'point', key: 'x', ts: 30 * MIN, value: 1 },
  ];
  const f = replay(c, 'd', s, { from: 0, to: 50 * MIN, tickMs: MIN, throttleMs: 0 });
  assert.deepEqual(
    f.map((x) => [x.at / MIN, x.until === null ? null : x.until / MIN]),
    [
      [10, 30],
      [40, null],
    ],
  );
});
