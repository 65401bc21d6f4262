import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeTelemetry } from './decode.js';
import { CodecError } from './model.js';

const NOW = 1714564800000;
const bytes = (s: string) => new TextEncoder().encode(s);
const decode = (s: string | Uint8Array) => decodeTelemetry('json', typeof s === 'string' ? bytes(s) : s, NOW);
const codecError = (fragment: string) => (err: unknown) =>
  err instanceof CodecError && err.codec === 'json' && err.message.includes(fragment);

test('JSON telemetry of ARCHITECTURE §5: flat, timestamped, and an array of those', () => {
  assert.deepEqual(
    decode('{"temp":21.5,"door":true,"mode":"eco","location":{"lat":48.1,"lon":11.6}}').points,
    [
      { key: 'temp', value: 21.5 },
      { key: 'door', value: true },
      { key: 'mode', value: 'eco' },
      { key: 'location.lat', value: 48.1 },
      { key: 'location.lon', value: 11.6 },
    ],
  );
  assert.deepEqual(
    decode(`[{"ts":${NOW - 1000},"values":{"temp":21}},{"ts":${NOW},"values":{"temp":22}}]`).points,
    [
      { key: 'temp', value: 21, ts: NOW - 1000 },
      { key: 'temp', value: 22, ts: NOW },
    ],
  );
});

test('invalid JSON is a CodecError carrying the parser message', () => {
  assert.throws(() => decode('{"temp":'), codecError('invalid JSON: Unexpected end of JSON input'));
  assert.throws(() => decode('{temp: 1}'), codecError('invalid JSON: '));
  assert.throws(() => decode(''), codecError('invalid JSON: '));
  assert.throws(() => decode('{"a":1} x'), codecError('invalid JSON: '));
});

test('bytes that are not UTF-8 are a CodecError, not replacement characters', () => {
  assert.throws(
    () => decode(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])),
    codecError('not valid UTF-8'),
  );
});

test('a UTF-8 byte order mark is accepted', () => {
  assert.deepEqual(decode(new Uint8Array([0xef, 0xbb, 0xbf, ...bytes('{"a":1}')])).points, [
    { key: 'a', value: 1 },
  ]);
});

test('a top-level scalar is a CodecError', () => {
  assert.throws(() => decode('42'), codecError('top level must be an object or an array, not a number'));
  assert.throws(() => decode('"hello"'), codecError('not a string'));
  assert.throws(() => decode('null'), codecError('not null'));
});

test('numbers beyond double range parse to Infinity and are refused', () => {
  const r = decode('{"a":1e400,"b":2}');
  assert.deepEqual(r.points, [{ key: 'b', value: 2 }]);
  assert.deepEqual(r.problems, [{ key: 'a', reason: 'Infinity is not a storable number' }]);
});

test('a __proto__ key is an ordinary key, not a prototype', () => {
  assert.deepEqual(decode('{"__proto__":{"polluted":1}}').points, [{ key: '__proto__.polluted', value: 1 }]);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('deeply nested JSON stops at the depth limit', () => {
  const r = decode(`${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`);
  assert.deepEqual(r.points, []);
  assert.equal(r.problems[0]?.reason, 'nested deeper than 8 levels');
});

test('10,001 points in one JSON payload are refused', () => {
  const body = Array.from({ length: 10_001 }, (_, i) => `"k${i}":${i}`).join(',');
  assert.throws(() => decode(`{${body}}`), codecError('more than 10000 values'));
});
