import assert from 'node:assert/strict';
import { test } from 'node:test';
import { packPoints } from './telemetry-pack.js';

test('packPoints: one dictionary entry per series, typed values, strings by index', () => {
  const p = packPoints([
    { tenant: 't', device: 'a', key: 'x', ts: 10, value: 1.5 },
    { tenant: 't', device: 'a', key: 'y', ts: 10, value: true },
    { tenant: 't', device: 'b', key: 'x', ts: 11, value: 'on' },
    { tenant: 't', device: 'a', key: 'x', ts: 12, value: false },
  ]);
  assert.deepEqual(
    [p.tenants, p.devices, p.keys],
    [
      ['t', 't', 't'],
      ['a', 'a', 'b'],
      ['x', 'y', 'x'],
    ],
  );
  assert.deepEqual([...p.series], [0, 1, 2, 0]);
  assert.deepEqual([...p.ts], [10, 10, 11, 12]);
  assert.deepEqual([...p.kind], [0, 1, 2, 1]);
  assert.deepEqual([...p.num], [1.5, 1, 0, 0]);
  assert.deepEqual(p.texts, { 2: 'on' });
  assert.deepEqual(structuredClone(p).texts, { 2: 'on' }, 'survives the trip to the writer thread');
});
