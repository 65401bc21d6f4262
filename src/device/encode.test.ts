import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeEvents, decodeTelemetry } from '../codecs/index.js';
import { encodeDocument, encodeEvents, encodeTelemetry, eventEntry, telemetryEntry, toTs } from './encode.js';
import { DeviceSdkError } from './errors.js';

const T0 = 1_764_150_000_123;
const isArg = (option: string, text: RegExp) => (err: unknown) =>
  err instanceof DeviceSdkError &&
  err.code === 'INVALID_ARGUMENT' &&
  err.option === option &&
  text.test(err.message);

test('a telemetry entry keeps the given time, counts leaf values and defaults to now', () => {
  const e = telemetryEntry({ temp: 21.5, vib: { rms: 0.2, peak: 1 }, on: true, mode: 'eco' }, T0, 0);
  assert.equal(e.ts, T0);
  assert.equal(e.points, 5);
  assert.ok(e.size > 0);
  assert.equal(telemetryEntry({ a: 1 }, undefined, T0).ts, T0);
  assert.equal(telemetryEntry({ a: 1 }, new Date(T0), 0).ts, T0);
});

test('telemetry values the platform would not store are refused at the call, naming the key', () => {
  assert.throws(() => telemetryEntry(null, undefined, T0), isArg('values', /must be an object/));
  assert.throws(() => telemetryEntry([1, 2], undefined, T0), isArg('values', /must be an object/));
  assert.throws(() => telemetryEntry({}, undefined, T0), isArg('values', /no values/));
  assert.throws(() => telemetryEntry({ t: Number.NaN }, undefined, T0), isArg('values', /t is NaN/));
  assert.throws(() => telemetryEntry({ t: [1] }, undefined, T0), isArg('values', /t is an array/));
  assert.throws(() => telemetryEntry({ t: null }, undefined, T0), isArg('values', /t is null/));
  assert.throws(
    () => telemetryEntry({ 'bad key': 1 }, undefined, T0),
    isArg('values', /"bad key" is not valid/),
  );
  assert.throws(
    () => telemetryEntry({ s: 'x'.repeat(5000) }, undefined, T0),
    isArg('values', /longer than 4096/),
  );
  let deep: Record<string, unknown> = { v: 1 };
  for (let i = 0; i < 9; i++) deep = { n: deep };
  assert.throws(() => telemetryEntry(deep, undefined, T0), isArg('values', /deeper than 8/));
});

test('times must be epoch milliseconds or Dates after 1973', () => {
  assert.throws(() => toTs(1_764_150_000, 0), isArg('ts', /epoch milliseconds/)); // seconds by mistake
  assert.throws(() => toTs(Number.NaN, 0), isArg('ts', /epoch milliseconds/));
  assert.throws(() => toTs(new Date('garbage'), 0), isArg('ts', /epoch milliseconds/));
  assert.throws(() => toTs('2024-01-01' as unknown as number, 0), isArg('ts', /epoch milliseconds/));
  assert.equal(toTs(T0 + 0.4, 0), T0);
});

test('one entry is {ts, values}, a batch an array of them, and the platform reads both back with their times', () => {
  const a = telemetryEntry({ temp: 20, vib: { rms: 0.1 } }, T0, 0);
  const b = telemetryEntry({ temp: 21 }, T0 + 1000, 0);
  const one = encodeTelemetry('json', [a]);
  assert.equal(one.contentType, 'application/json');
  assert.deepEqual(JSON.parse(one.payload.toString()), { ts: T0, values: { temp: 20, vib: { rms: 0.1 } } });
  for (const format of ['json', 'cbor', 'senml'] as const) {
    const enc = encodeTelemetry(format, [a, b]);
    const codec = format === 'senml' ? 'senml+json' : format;
    const decoded = decodeTelemetry(codec, enc.payload, 0);
    assert.deepEqual(decoded.problems, [], format);
    assert.deepEqual(
      decoded.points.map((p) => [p.key, p.value, p.ts]),
      [
        ['temp', 20, T0],
        ['vib.rms', 0.1, T0],
        ['temp', 21, T0 + 1000],
      ],
      format,
    );
  }
  assert.equal(encodeTelemetry('cbor', [a]).contentType, 'application/cbor');
  assert.equal(encodeTelemetry('senml', [a]).contentType, 'application/senml+json');
});

test('SenML carries booleans and strings in vb and vs', () => {
  const e = telemetryEntry({ on: true, mode: 'eco', n: 3 }, T0, 0);
  const pack = JSON.parse(encodeTelemetry('senml', [e]).payload.toString()) as Record<string, unknown>[];
  assert.deepEqual(pack, [
    { bt: T0 / 1000, n: 'on', vb: true },
    { n: 'mode', vs: 'eco' },
    { n: 'n', v: 3 },
  ]);
});

test('events encode as {type, ts, ...data} and decode as the platform reads them', () => {
  const e1 = eventEntry('door_open', { door: 'front' }, T0, 0);
  const e2 = eventEntry('door_closed', undefined, T0 + 5, 0);
  for (const format of ['json', 'cbor'] as const) {
    const enc = encodeEvents(format, [e1, e2]);
    const decoded = decodeEvents(format, enc.payload);
    assert.deepEqual(decoded.problems, []);
    assert.deepEqual(
      decoded.events.map((e) => [e.type, e.ts, e.data]),
      [
        ['door_open', T0, { door: 'front' }],
        ['door_closed', T0 + 5, {}],
      ],
    );
  }
  // SenML has no events: they go as JSON.
  assert.equal(encodeEvents('senml', [e1]).contentType, 'application/json');
});

test('bad events are refused at the call', () => {
  assert.throws(() => eventEntry('', {}, T0, 0), isArg('type', /non-empty/));
  assert.throws(() => eventEntry('x'.repeat(129), {}, T0, 0), isArg('type', /128/));
  assert.throws(() => eventEntry('a', { type: 'b' }, T0, 0), isArg('data', /'type' or 'ts'/));
  assert.throws(
    () => eventEntry('a', [1] as unknown as Record<string, unknown>, T0, 0),
    isArg('data', /object/),
  );
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => eventEntry('a', cyclic, T0, 0), isArg('data', /JSON/));
});

test('documents (reports, command results) are JSON whatever the telemetry format', () => {
  const d = encodeDocument({ ok: true, result: { stopped: true } });
  assert.equal(d.payload.toString(), '{"ok":true,"result":{"stopped":true}}');
  assert.equal(d.contentType, 'application/json');
});
