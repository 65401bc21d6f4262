import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeTelemetry, keepLastDuplicates } from './decode.js';
import type { CodecName, DecodedPoint } from './model.js';

const NOW = 1714564800000;
const bytes = (s: string) => new TextEncoder().encode(s);

test('the same key at the same time: the last wins, an earlier different value is a problem', () => {
  const r = decodeTelemetry('json', bytes(`[{"a":1,"b":1},{"a":2,"b":1}]`), NOW);
  assert.deepEqual(r.points, [
    { key: 'a', value: 2 },
    { key: 'b', value: 1 },
  ]);
  assert.deepEqual(r.problems, [{ key: 'a', reason: 'replaced by a later value for the same key and time' }]);
  const dotted = decodeTelemetry('json', bytes('{"a.b":1,"a":{"b":2}}'), NOW);
  assert.deepEqual(dotted.points, [{ key: 'a.b', value: 2 }]);
});

test('the same key at different times is kept', () => {
  const r = decodeTelemetry(
    'json',
    bytes(`[{"ts":${NOW},"values":{"a":1}},{"ts":${NOW + 1},"values":{"a":1}},{"a":1}]`),
    NOW,
  );
  assert.equal(r.points.length, 3);
  assert.deepEqual(r.problems, []);
});

test('deduplication agrees below and above the small-payload shortcut', () => {
  for (const n of [3, 16, 17, 500]) {
    const points: DecodedPoint[] = Array.from({ length: n }, (_, i) => ({
      key: `k${i % 3}`,
      value: i,
      ts: NOW,
    }));
    const r = keepLastDuplicates({ points, problems: [] });
    assert.deepEqual(
      r.points.map((p) => p.value),
      [n - 3, n - 2, n - 1],
      `n = ${n}`,
    );
    assert.equal(r.problems.length, n - 3);
  }
  const unique: DecodedPoint[] = Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: i }));
  const same = { points: unique, problems: [] };
  assert.equal(keepLastDuplicates(same), same, 'no duplicates: the result is returned as is');
});

test('an unknown codec from an untyped caller is a TypeError', () => {
  assert.throws(() => decodeTelemetry('xml' as CodecName, bytes('<a/>'), NOW), TypeError);
});
