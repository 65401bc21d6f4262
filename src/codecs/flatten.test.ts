import assert from 'node:assert/strict';
import { test } from 'node:test';
import { telemetryFromShapes } from './flatten.js';
import { CodecError } from './model.js';

const TS = 1714564800000;
const decode = (root: unknown) => telemetryFromShapes('json', root);
const codecError = (fragment: string) => (err: unknown) =>
  err instanceof CodecError && err.codec === 'json' && err.message.includes(fragment);

test('a flat object gives points without ts; an empty one gives nothing', () => {
  assert.deepEqual(decode({ temp: 21.5, door: true, mode: 'eco' }), {
    points: [
      { key: 'temp', value: 21.5 },
      { key: 'door', value: true },
      { key: 'mode', value: 'eco' },
    ],
    problems: [],
  });
  assert.deepEqual(decode({}), { points: [], problems: [] });
});

test('nested objects flatten to dotted keys', () => {
  assert.deepEqual(decode({ location: { lat: 1, lon: 2 }, a: { b: { c: 'x' } } }).points, [
    { key: 'location.lat', value: 1 },
    { key: 'location.lon', value: 2 },
    { key: 'a.b.c', value: 'x' },
  ]);
});

test('the timestamped form gives its ts to every point, nested ones included', () => {
  assert.deepEqual(decode({ ts: TS, values: { temp: 20, gps: { fix: true } } }).points, [
    { key: 'temp', value: 20, ts: TS },
    { key: 'gps.fix', value: true, ts: TS },
  ]);
  assert.deepEqual(decode({ ts: '2024-05-01T12:00:00Z', values: { temp: 20 } }).points, [
    { key: 'temp', value: 20, ts: TS },
  ]);
});

test('without a values object, ts is an ordinary key', () => {
  assert.deepEqual(decode({ ts: 5, values: 3 }).points, [
    { key: 'ts', value: 5 },
    { key: 'values', value: 3 },
  ]);
});

test('an invalid or missing ts in the timestamped form skips that entry with a problem', () => {
  const r = decode([
    { ts: 'yesterday', values: { a: 1 } },
    { values: { b: 2 } },
    { ts: 1714564800, values: { c: 3 } },
    { ts: TS, values: { d: 4 } },
  ]);
  assert.deepEqual(r.points, [{ key: 'd', value: 4, ts: TS }]);
  assert.deepEqual(r.problems, [
    {
      index: 0,
      key: 'ts',
      reason:
        "ts is not an ISO 8601 date-time with a zone, e.g. 2024-05-01T12:00:00Z: the entry's values are skipped",
    },
    { index: 1, key: 'ts', reason: "missing ts: the entry's values are skipped" },
    {
      index: 2,
      key: 'ts',
      reason: "ts 1714564800 looks like seconds: send epoch milliseconds: the entry's values are skipped",
    },
  ]);
});

test('fields beside ts and values are reported, not dropped silently', () => {
  const r = decode({ ts: TS, values: { a: 1 }, seq: 7 });
  assert.deepEqual(r.points, [{ key: 'a', value: 1, ts: TS }]);
  assert.deepEqual(r.problems, [
    { key: 'seq', reason: 'unexpected field beside "ts" and "values": put it inside "values"' },
  ]);
});

test('a top-level array mixes both forms; problems carry the entry index', () => {
  const r = decode([{ a: 1 }, { ts: TS, values: { a: 2 } }, 42, { b: null }]);
  assert.deepEqual(r.points, [
    { key: 'a', value: 1 },
    { key: 'a', value: 2, ts: TS },
  ]);
  assert.deepEqual(r.problems, [
    { index: 2, reason: 'entry is a number, not an object' },
    { index: 3, key: 'b', reason: 'null is not a storable value' },
  ]);
});

test('bad values are skipped with a problem naming the key; the others are kept', () => {
  const r = decode({
    ok: 1,
    n: null,
    arr: [1, 2],
    big: 'x'.repeat(4097),
    inf: Infinity,
    fine: 'x'.repeat(4096),
  });
  assert.deepEqual(
    r.points.map((p) => p.key),
    ['ok', 'fine'],
  );
  assert.deepEqual(r.problems, [
    { key: 'n', reason: 'null is not a storable value' },
    { key: 'arr', reason: 'arrays are not stored: send one key per element' },
    { key: 'big', reason: 'string longer than 4096 UTF-8 bytes' },
    { key: 'inf', reason: 'Infinity is not a storable number' },
  ]);
});

test('keys that break the pattern are problems, shown truncated', () => {
  const long = 'k'.repeat(200);
  const r = decode({ 'bad key': 1, '-x': 2, '': 3, [long]: 4, a: { 'b/c': 5 }, ['k'.repeat(128)]: 6 });
  assert.deepEqual(r.points, [{ key: 'k'.repeat(128), value: 6 }]);
  const reason = 'invalid key: must match ^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$';
  assert.deepEqual(r.problems, [
    { key: 'bad key', reason },
    { key: '-x', reason },
    { key: '', reason },
    { key: `${'k'.repeat(61)}...`, reason },
    { key: 'a.b/c', reason },
  ]);
});

test('a key longer than 128 characters only after flattening is a problem', () => {
  const r = decode({ ['a'.repeat(100)]: { ['b'.repeat(30)]: 1 } });
  assert.equal(r.points.length, 0);
  assert.match(r.problems[0]?.reason ?? '', /^invalid key/);
});

function nested(levels: number, leaf: unknown): unknown {
  let v = leaf;
  for (let i = levels; i >= 1; i--) v = { [`l${i}`]: v };
  return v;
}

test('nesting: keys of 8 levels are kept, deeper objects are a problem for their key', () => {
  assert.deepEqual(decode(nested(8, 1)).points, [{ key: 'l1.l2.l3.l4.l5.l6.l7.l8', value: 1 }]);
  const deep = decode(nested(9, 1));
  assert.deepEqual(deep.points, []);
  assert.deepEqual(deep.problems, [
    { key: 'l1.l2.l3.l4.l5.l6.l7.l8', reason: 'nested deeper than 8 levels' },
  ]);
  assert.deepEqual(decode(nested(500, 1)).problems, deep.problems, 'the walk stops at the limit');
});

test('top level must be an object or an array', () => {
  assert.throws(() => decode(42), codecError('top level must be an object or an array, not a number'));
  assert.throws(() => decode('x'), codecError('not a string'));
  assert.throws(() => decode(null), codecError('not null'));
});

test('at most 10,000 values per payload: the device must split', () => {
  const obj = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
  assert.equal(decode(obj(10_000)).points.length, 10_000);
  assert.throws(() => decode(obj(10_001)), codecError('payload has more than 10000 values: split it'));
  const spread = Array.from({ length: 101 }, () => obj(100));
  assert.throws(() => decode(spread), codecError('more than 10000 values'));
  assert.throws(() => decode(new Array(10_001).fill({})), codecError('payload has more than 10000 entries'));
});

test('bad values count against the limit too', () => {
  const nulls = Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`k${i}`, null]));
  assert.throws(() => decode(nulls), codecError('more than 10000 values'));
});

test('CBOR maps: text keys flatten like object keys, other keys are problems', () => {
  const root = new Map<unknown, unknown>([
    ['a', 1],
    [7, 2],
    [
      'loc',
      new Map<unknown, unknown>([
        ['lat', 3],
        [true, 4],
        [[1, 2], 5],
      ]),
    ],
  ]);
  const r = telemetryFromShapes('cbor', root);
  assert.deepEqual(r.points, [
    { key: 'a', value: 1 },
    { key: 'loc.lat', value: 3 },
  ]);
  assert.deepEqual(r.problems, [
    { reason: 'map key 7 is not a text string' },
    { key: 'loc', reason: 'map key true is not a text string' },
    { key: 'loc', reason: 'map key (an array) is not a text string' },
  ]);
});

test('CBOR maps: the timestamped form and its extra fields', () => {
  const entry = new Map<unknown, unknown>([
    ['ts', TS],
    ['values', new Map([['a', 1]])],
    [3, 'x'],
  ]);
  const r = telemetryFromShapes('cbor', [entry]);
  assert.deepEqual(r.points, [{ key: 'a', value: 1, ts: TS }]);
  assert.deepEqual(r.problems, [
    { index: 0, key: '3', reason: 'unexpected field beside "ts" and "values": put it inside "values"' },
  ]);
});
