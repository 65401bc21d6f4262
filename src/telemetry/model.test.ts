import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bucketCount,
  DAY,
  HOUR,
  intervalForPoints,
  MINUTE,
  mappingsOf,
  parseAggregates,
  parseInterval,
  parseTime,
  SECOND,
  sourceFor,
  validatePoints,
} from './model.js';

const NOW = Date.UTC(2026, 10, 26, 12);

test('validatePoints: declared type, range and unit; timestamps; undeclared keys kept', () => {
  const profile = {
    retentionDays: 30,
    telemetry: {
      temp: { type: 'number' as const, unit: 'Cel', min: -40, max: 200 },
      on: { type: 'boolean' as const },
    },
  };
  const { valid, rejected } = validatePoints(
    [
      { key: 'temp', value: 21.5 },
      { key: 'temp', value: 250, ts: NOW - 1000 },
      { key: 'temp', value: -41, ts: NOW - 2000 },
      { key: 'temp', value: 20, unit: 'Far', ts: NOW - 3000 },
      { key: 'on', value: 'yes' },
      { key: 'free', value: 'anything', ts: NOW - 10.4 },
      { key: 'temp', value: 1, ts: NOW + 11 * MINUTE },
      { key: 'temp', value: 1, ts: Date.UTC(1999, 11, 31) },
      { key: 'temp', value: 1, ts: NOW - 31 * DAY },
    ],
    profile,
    NOW,
  );
  assert.deepEqual(valid, [
    { key: 'temp', ts: NOW, value: 21.5 },
    { key: 'free', ts: NOW - 10, value: 'anything' },
  ]);
  assert.deepEqual(
    rejected.map((r) => r.reason.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/, '<time>')),
    [
      '250 is above the maximum 200',
      '-41 is below the minimum -40',
      "unit Far does not match the profile's Cel",
      'expected a boolean, got a string',
      'timestamp <time> is more than 10 minutes in the future',
      `timestamp ${Date.UTC(1999, 11, 31)} is before 2000-01-01 (device clock not set?)`,
      "timestamp <time> is older than the profile's retention of 30 days",
    ],
  );
});

test('mappingsOf keeps only keys with a source, scale or offset', () => {
  assert.deepEqual(
    mappingsOf({
      temperature: { type: 'number', source: 't', scale: 0.1 },
      plain: { type: 'number' },
      f: { type: 'number', offset: -32 },
    }),
    [
      { key: 'temperature', source: 't', scale: 0.1 },
      { key: 'f', offset: -32 },
    ],
  );
});

test('intervals, times and aggregates parse strictly', () => {
  assert.equal(parseInterval('30s'), 30 * SECOND);
  assert.equal(parseInterval('5m'), 5 * MINUTE);
  assert.equal(parseInterval('1h'), HOUR);
  assert.equal(parseInterval('1d'), DAY);
  assert.equal(parseInterval('250ms'), 250);
  for (const bad of ['0s', '1w', '1.5h', '', 'h', '-1m']) assert.equal(parseInterval(bad), undefined, bad);
  assert.equal(parseTime('1795670000000'), 1795670000000);
  assert.equal(parseTime('2026-11-26T12:00:00Z'), NOW);
  assert.equal(parseTime('2026-11-26T13:00:00+01:00'), NOW);
  for (const bad of ['yesterday', '1.5e12', '12:00', '2026-13-45T00:00:00Z'])
    assert.equal(parseTime(bad), undefined, bad);
  assert.deepEqual(parseAggregates('avg, max,avg'), ['avg', 'max']);
  assert.equal(parseAggregates('median'), undefined);
  assert.equal(parseAggregates(''), undefined);
});

test('points=N never gives more than N aligned buckets; rollups serve whole minutes and hours', () => {
  for (const [from, to, n] of [
    [NOW + 7 * SECOND, NOW + 3607 * SECOND, 4],
    [NOW + 5 * SECOND, NOW + 65 * SECOND, 4],
    [NOW + 20 * MINUTE, NOW + 80 * MINUTE, 1],
    [NOW - 30 * DAY, NOW, 500],
    [NOW - 400 * DAY, NOW, 3],
  ] as const) {
    const i = intervalForPoints(from, to, n);
    assert.ok(bucketCount(from, to, i) <= n, `${i} ms gives ${bucketCount(from, to, i)} > ${n} buckets`);
  }
  assert.equal(intervalForPoints(NOW - 30 * DAY, NOW, 500), 2 * HOUR);
  assert.equal(sourceFor(2 * HOUR), '1h');
  assert.equal(sourceFor(15 * MINUTE), '1m');
  assert.equal(sourceFor(30 * SECOND), 'raw');
  assert.equal(sourceFor(90 * SECOND), 'raw');
});
