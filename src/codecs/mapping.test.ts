import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyMapping } from './mapping.js';
import type { DecodedPoint } from './model.js';

const TS = 1714564800000;

test('a device sending t in tenths of °C, mapped to temperature', () => {
  assert.deepEqual(
    applyMapping([{ key: 't', value: 215, ts: TS }], [{ key: 'temperature', source: 't', scale: 0.1 }]),
    [{ key: 'temperature', value: 21.5, ts: TS }],
  );
});

test('°F to °C with scale 5/9 and offset -160/9', () => {
  const m = [{ key: 'temp_c', source: 'temp_f', scale: 5 / 9, offset: -160 / 9 }];
  assert.deepEqual(
    applyMapping(
      [
        { key: 'temp_f', value: 212 },
        { key: 'temp_f', value: 32 },
        { key: 'temp_f', value: -40 },
        { key: 'temp_f', value: 98.6 },
      ],
      m,
    ).map((p) => p.value),
    [100, 0, -40, 37],
  );
});

test('a key mapped without source is scaled in place; unit and ts are kept', () => {
  assert.deepEqual(
    applyMapping([{ key: 'p', value: 1013, ts: TS, unit: 'hPa' }], [{ key: 'p', scale: 100 }]),
    [{ key: 'p', value: 101300, ts: TS, unit: 'hPa' }],
  );
  assert.deepEqual(applyMapping([{ key: 'level', value: 3 }], [{ key: 'level', offset: -1 }]), [
    { key: 'level', value: 2 },
  ]);
});

test('a source without scale only renames; non-numbers are renamed but keep their value', () => {
  assert.deepEqual(
    applyMapping(
      [
        { key: 'st', value: 'on' },
        { key: 'b', value: true },
        { key: 'n', value: 4 },
      ],
      [
        { key: 'state', source: 'st', scale: 10 },
        { key: 'open', source: 'b', offset: 1 },
        { key: 'count', source: 'n' },
      ],
    ),
    [
      { key: 'state', value: 'on' },
      { key: 'open', value: true },
      { key: 'count', value: 4 },
    ],
  );
});

test('unmapped keys pass through unchanged, also the key of a mapping that has a source', () => {
  const points: DecodedPoint[] = [
    { key: 'humidity', value: 40 },
    { key: 'temperature', value: 20 },
  ];
  const out = applyMapping(points, [{ key: 'temperature', source: 't', scale: 0.1 }]);
  assert.deepEqual(out, points);
  assert.equal(out[0], points[0], 'the same point objects, not copies');
});

test('the input is not changed; no mappings gives a copy', () => {
  const points: DecodedPoint[] = [{ key: 't', value: 215 }];
  applyMapping(points, [{ key: 'temperature', source: 't', scale: 0.1 }]);
  assert.deepEqual(points, [{ key: 't', value: 215 }]);
  const copy = applyMapping(points, []);
  assert.deepEqual(copy, points);
  assert.notEqual(copy, points);
});

test('two mappings with one source: the first wins', () => {
  assert.deepEqual(
    applyMapping(
      [{ key: 'x', value: 1 }],
      [
        { key: 'a', source: 'x', scale: 2 },
        { key: 'b', source: 'x', scale: 3 },
      ],
    ),
    [{ key: 'a', value: 2 }],
  );
});

test('a scaled value that is not finite leaves the point as the device sent it', () => {
  assert.deepEqual(applyMapping([{ key: 'x', value: 1e308 }], [{ key: 'y', source: 'x', scale: 10 }]), [
    { key: 'x', value: 1e308 },
  ]);
  assert.deepEqual(applyMapping([{ key: 'x', value: 1 }], [{ key: 'x', scale: Number.NaN }]), [
    { key: 'x', value: 1 },
  ]);
});
