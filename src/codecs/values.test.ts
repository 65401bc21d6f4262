import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tag } from 'cbor-x';
import {
  describe,
  fitsStringLimit,
  isValidKey,
  makePoint,
  makeProblem,
  parseTs,
  scalarProblem,
  shownKey,
  toScalar,
  tsProblem,
} from './values.js';

test('keys: letters, digits, _ . : - ; first character not a separator; at most 128', () => {
  for (const ok of [
    'temp',
    'location.lat',
    '_x',
    '0',
    'urn:dev:ow:10e2073a01080063',
    'a-b_c.d:e',
    'k'.repeat(128),
  ]) {
    assert.equal(isValidKey(ok), true, ok);
  }
  for (const bad of ['', '.a', '-a', ':a', 'a b', 'a/b', 'a@b', 'ä', 'k'.repeat(129), 'a\n']) {
    assert.equal(isValidKey(bad), false, JSON.stringify(bad));
  }
});

test('problem keys are shown at most 64 characters long', () => {
  assert.equal(shownKey('short'), 'short');
  assert.equal(shownKey('k'.repeat(64)), 'k'.repeat(64));
  const long = shownKey('k'.repeat(500));
  assert.equal(long.length, 64);
  assert.ok(long.endsWith('...'));
  assert.deepEqual(makeProblem(undefined, 'k'.repeat(100), 'r'), {
    key: `${'k'.repeat(61)}...`,
    reason: 'r',
  });
  assert.deepEqual(makeProblem(3, undefined, 'r'), { index: 3, reason: 'r' });
});

test('points carry ts and unit only when given', () => {
  assert.deepEqual(makePoint('a', 1, undefined), { key: 'a', value: 1 });
  assert.equal('ts' in makePoint('a', 1, undefined), false);
  assert.deepEqual(makePoint('a', 1, 5, 'Cel'), { key: 'a', value: 1, ts: 5, unit: 'Cel' });
});

test('strings are limited to 4,096 UTF-8 bytes, not characters', () => {
  assert.equal(fitsStringLimit('a'.repeat(4096)), true);
  assert.equal(fitsStringLimit('a'.repeat(4097)), false);
  assert.equal(fitsStringLimit('€'.repeat(1365)), true, '4,095 bytes');
  assert.equal(fitsStringLimit('€'.repeat(1366)), false, '4,098 bytes in 1,366 characters');
  assert.equal(fitsStringLimit('😀'.repeat(1024)), true, '4,096 bytes');
  assert.equal(fitsStringLimit('😀'.repeat(1025)), false);
});

test('scalars: finite numbers, booleans, strings; 64-bit CBOR integers become numbers', () => {
  assert.equal(toScalar(21.5), 21.5);
  assert.equal(toScalar(-0), -0);
  assert.equal(toScalar(false), false);
  assert.equal(toScalar(''), '');
  assert.equal(toScalar(5n), 5);
  for (const bad of [
    NaN,
    Infinity,
    -Infinity,
    null,
    undefined,
    [1],
    {},
    new Uint8Array(1),
    10n ** 400n,
    'x'.repeat(5000),
  ]) {
    assert.equal(toScalar(bad), undefined, String(bad));
  }
});

test('every rejected value gets a reason that names what it was', () => {
  assert.equal(scalarProblem(NaN), 'NaN is not a storable number');
  assert.equal(scalarProblem(-Infinity), '-Infinity is not a storable number');
  assert.equal(scalarProblem(null), 'null is not a storable value');
  assert.equal(scalarProblem(undefined), 'undefined is not a storable value');
  assert.equal(scalarProblem([1, 2]), 'arrays are not stored: send one key per element');
  assert.equal(scalarProblem('x'.repeat(5000)), 'string longer than 4096 UTF-8 bytes');
  assert.equal(scalarProblem(10n ** 400n), 'integer out of range');
  assert.equal(scalarProblem(new Uint8Array(2)), 'a byte string is not a storable value');
  assert.equal(scalarProblem(new Tag('x', 99)), 'CBOR tag 99 is not a storable value');
  assert.equal(scalarProblem(new Date(0)), 'a CBOR tagged value is not a storable value');
  assert.equal(describe(new Map()), 'a map');
  assert.equal(describe({}), 'an object');
  assert.equal(describe(7), 'a number');
});

test('ts: epoch milliseconds, rounded to an integer', () => {
  assert.equal(parseTs(1714564800000), 1714564800000);
  assert.equal(parseTs(1714564800000.6), 1714564800001);
  assert.equal(parseTs(1714564800000n), 1714564800000);
});

test('ts: ISO 8601 date-times with a zone', () => {
  assert.equal(parseTs('2024-05-01T12:00:00Z'), Date.UTC(2024, 4, 1, 12));
  assert.equal(parseTs('2024-05-01T12:00:00.250Z'), Date.UTC(2024, 4, 1, 12, 0, 0, 250));
  assert.equal(parseTs('2024-05-01T14:00:00+02:00'), Date.UTC(2024, 4, 1, 12));
  assert.equal(parseTs('2024-05-01T12:00Z'), Date.UTC(2024, 4, 1, 12));
});

test('ts: seconds, zone-less or loose date strings and other types are refused with a reason', () => {
  assert.equal(parseTs(1714564800), undefined);
  assert.equal(tsProblem(1714564800), 'ts 1714564800 looks like seconds: send epoch milliseconds');
  for (const s of ['2024-05-01T12:00:00', '2024-05-01', 'May 1, 2024', '2024-13-01T00:00:00Z', '']) {
    assert.equal(parseTs(s), undefined, s);
  }
  assert.match(tsProblem('2024-05-01T12:00:00'), /not an ISO 8601 date-time with a zone/);
  assert.equal(parseTs('1970-01-01T00:00:00Z'), undefined);
  assert.equal(tsProblem('1970-01-01T00:00:00Z'), 'ts must be 1973 or later');
  for (const v of [NaN, -1, 9e15, true, null, {}]) assert.equal(parseTs(v), undefined, String(v));
  assert.match(tsProblem(-1), /ts must be epoch milliseconds/);
  assert.equal(tsProblem(undefined), 'missing ts');
});
