import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Encoder, Tag } from 'cbor-x';
import { decodeTelemetry } from './decode.js';
import { CodecError } from './model.js';

const NOW = 1714564800000;
// Plain maps (no tag 259), untagged byte strings: what a device's CBOR library sends.
const encoder = new Encoder({ useRecords: false, mapsAsObjects: false, tagUint8Array: false });
const decode = (value: unknown) => decodeTelemetry('cbor', encoder.encode(value), NOW);
const decodeBytes = (hex: string) => decodeTelemetry('cbor', Buffer.from(hex, 'hex'), NOW);
const codecError = (fragment: string) => (err: unknown) =>
  err instanceof CodecError && err.codec === 'cbor' && err.message.includes(fragment);

test('CBOR telemetry has the JSON shapes', () => {
  assert.deepEqual(decode({ temp: 21.5, door: true, location: { lat: 48.1 } }).points, [
    { key: 'temp', value: 21.5 },
    { key: 'door', value: true },
    { key: 'location.lat', value: 48.1 },
  ]);
  assert.deepEqual(decode([{ ts: NOW, values: { temp: 20 } }, { rssi: -70 }]).points, [
    { key: 'temp', value: 20, ts: NOW },
    { key: 'rssi', value: -70 },
  ]);
});

test('a hand-written CBOR map: {"a": 1, "b": "x"}', () => {
  assert.deepEqual(decodeBytes('a261610161626178').points, [
    { key: 'a', value: 1 },
    { key: 'b', value: 'x' },
  ]);
});

test('NaN, Infinity, undefined, byte strings and tags are problems for their key', () => {
  const r = decode({
    nan: NaN,
    inf: -Infinity,
    undef: undefined,
    bytes: Buffer.from([1, 2, 3]),
    tagged: new Tag('x', 99),
    date: new Date(NOW),
    ok: 1,
  });
  assert.deepEqual(r.points, [{ key: 'ok', value: 1 }]);
  assert.deepEqual(r.problems, [
    { key: 'nan', reason: 'NaN is not a storable number' },
    { key: 'inf', reason: '-Infinity is not a storable number' },
    { key: 'undef', reason: 'undefined is not a storable value' },
    { key: 'bytes', reason: 'a byte string is not a storable value' },
    { key: 'tagged', reason: 'CBOR tag 99 is not a storable value' },
    { key: 'date', reason: 'a CBOR tagged value is not a storable value' },
  ]);
});

test('NaN as raw bytes: {"t": half-float NaN}', () => {
  assert.deepEqual(decodeBytes('a16174f97e00').problems, [
    { key: 't', reason: 'NaN is not a storable number' },
  ]);
});

test('a map key that is not text is a problem; the other keys are kept', () => {
  // {1: 5, "a": 6}
  const r = decodeBytes('a20105616106');
  assert.deepEqual(r.points, [{ key: 'a', value: 6 }]);
  assert.deepEqual(r.problems, [{ reason: 'map key 1 is not a text string' }]);
});

test('64-bit integers become numbers', () => {
  // {"n": 5 as an 8-byte unsigned integer}
  assert.deepEqual(decodeBytes('a1616e1b0000000000000005').points, [{ key: 'n', value: 5 }]);
});

test('bytes that are not CBOR are a CodecError with the decoder message', () => {
  assert.throws(() => decodeBytes('1c'), codecError('invalid CBOR: Unknown token 28'));
  assert.throws(() => decodeBytes('ff'), codecError('invalid CBOR: '));
  assert.throws(() => decodeBytes(''), codecError('invalid CBOR: Unexpected end of CBOR data'));
  assert.throws(
    () => decodeBytes('a2616101'),
    codecError('invalid CBOR: Unexpected end of CBOR data'),
    'truncated',
  );
  assert.throws(() => decodeBytes('a161610102'), codecError('end of buffer not reached'), 'trailing bytes');
});

test('deeply nested CBOR is a CodecError or a depth problem, never a crash', () => {
  assert.throws(() => decodeBytes('81'.repeat(200_000)), codecError('invalid CBOR: '));
  const maps = `${'a16161'.repeat(20)}01`;
  assert.equal(decodeBytes(maps).problems[0]?.reason, 'nested deeper than 8 levels');
});

test('a top-level scalar is a CodecError', () => {
  assert.throws(() => decode(42), codecError('top level must be an object or an array, not a number'));
  assert.throws(() => decode(Buffer.from([1])), codecError('not a byte string'));
});

test('record structures from one payload do not leak into the next', () => {
  // cbor-x records: [{a: 1}, {a: 2}] defining record 0xe000 inline, then referring to it.
  assert.deepEqual(decodeBytes('82d9dfff8319e00081616101d9e0008102').problems, [
    { key: 'a', reason: 'replaced by a later value for the same key and time' },
  ]);
  // The reference alone afterwards must not resolve to the earlier structure.
  assert.deepEqual(decodeBytes('81d9e0008102').problems, [
    { index: 0, reason: 'entry is CBOR tag 57344, not an object' },
  ]);
});

test('CBOR shared references cannot blow a telemetry payload up beyond the value limit', () => {
  // Value-sharing tags (28/29): 200 keys all referring to one map of 200 keys is about 2 kB
  // on the wire and 40,000 values once walked.
  const text = (s: string) => (0x60 + s.length).toString(16) + Buffer.from(s).toString('hex');
  const keys = Array.from({ length: 200 }, (_, i) => text(`k${i}`));
  const inner = `d81cb8c8${keys.map((k) => `${k}01`).join('')}`;
  const outer = `b8c8${keys[0]}${inner}${keys
    .slice(1)
    .map((k) => `${k}d81d00`)
    .join('')}`;
  assert.throws(() => decodeBytes(outer), codecError('payload has more than 10000 values'));
});
