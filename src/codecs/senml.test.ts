import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Encoder } from 'cbor-x';
import { decodeTelemetry } from './decode.js';
import { CodecError, type DecodedTelemetry } from './model.js';

const NOW = 1714564800000;
const json = (pack: unknown): DecodedTelemetry =>
  decodeTelemetry('senml+json', new TextEncoder().encode(JSON.stringify(pack)), NOW);
const encoder = new Encoder({ useRecords: false, mapsAsObjects: false, tagUint8Array: false });
const cbor = (pack: unknown): DecodedTelemetry => decodeTelemetry('senml+cbor', encoder.encode(pack), NOW);
const codecError = (codec: string, fragment: string) => (err: unknown) =>
  err instanceof CodecError && err.codec === codec && err.message.includes(fragment);
const KEY_REASON = 'invalid key: must match ^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$';

// The examples of RFC 8428 §5.1, copied as printed.

test('RFC 8428 §5.1.1 single data point', () => {
  assert.deepEqual(json([{ n: 'urn:dev:ow:10e2073a01080063', u: 'Cel', v: 23.1 }]), {
    points: [{ key: 'urn:dev:ow:10e2073a01080063', value: 23.1, unit: 'Cel' }],
    problems: [],
  });
});

test('RFC 8428 §5.1.2 multiple data points, "now"', () => {
  const r = json([
    { bn: 'urn:dev:ow:10e2073a01080063:', n: 'voltage', u: 'V', v: 120.1 },
    { n: 'current', u: 'A', v: 1.2 },
  ]);
  assert.deepEqual(r.points, [
    { key: 'urn:dev:ow:10e2073a01080063:voltage', value: 120.1, unit: 'V' },
    { key: 'urn:dev:ow:10e2073a01080063:current', value: 1.2, unit: 'A' },
  ]);
});

const EXAMPLE_5_1_2_TIMED = [
  {
    bn: 'urn:dev:ow:10e2073a0108006:',
    bt: 1.276020076001e9,
    bu: 'A',
    bver: 5,
    n: 'voltage',
    u: 'V',
    v: 120.1,
  },
  { n: 'current', t: -5, v: 1.2 },
  { n: 'current', t: -4, v: 1.3 },
  { n: 'current', t: -3, v: 1.4 },
  { n: 'current', t: -2, v: 1.5 },
  { n: 'current', t: -1, v: 1.6 },
  { n: 'current', v: 1.7 },
];
const RESOLVED_5_1_2_TIMED = [
  { key: 'urn:dev:ow:10e2073a0108006:voltage', value: 120.1, ts: 1276020076001, unit: 'V' },
  { key: 'urn:dev:ow:10e2073a0108006:current', value: 1.2, ts: 1276020071001, unit: 'A' },
  { key: 'urn:dev:ow:10e2073a0108006:current', value: 1.3, ts: 1276020072001, unit: 'A' },
  { key: 'urn:dev:ow:10e2073a0108006:current', value: 1.4, ts: 1276020073001, unit: 'A' },
  { key: 'urn:dev:ow:10e2073a0108006:current', value: 1.5, ts: 1276020074001, unit: 'A' },
  { key: 'urn:dev:ow:10e2073a0108006:current', value: 1.6, ts: 1276020075001, unit: 'A' },
  { key: 'urn:dev:ow:10e2073a0108006:current', value: 1.7, ts: 1276020076001, unit: 'A' },
];

test('RFC 8428 §5.1.2 base time, base unit, version 5 and relative times', () => {
  assert.deepEqual(json(EXAMPLE_5_1_2_TIMED), { points: RESOLVED_5_1_2_TIMED, problems: [] });
});

test('RFC 8428 §6: the CBOR dump of §5.1.2, byte for byte', () => {
  // As printed in RFC 8428 §6, offsets dropped.
  const hex = `
    87 a7 21 78 1b 75 72 6e 3a 64 65 76 3a 6f 77 3a
    31 30 65 32 30 37 33 61 30 31 30 38 30 30 36 3a
    22 fb 41 d3 03 a1 5b 00 10 62 23 61 41 20 05 00
    67 76 6f 6c 74 61 67 65 01 61 56 02 fb 40 5e 06
    66 66 66 66 66 a3 00 67 63 75 72 72 65 6e 74 06
    24 02 fb 3f f3 33 33 33 33 33 33 a3 00 67 63 75
    72 72 65 6e 74 06 23 02 fb 3f f4 cc cc cc cc cc
    cd a3 00 67 63 75 72 72 65 6e 74 06 22 02 fb 3f
    f6 66 66 66 66 66 66 a3 00 67 63 75 72 72 65 6e
    74 06 21 02 f9 3e 00 a3 00 67 63 75 72 72 65 6e
    74 06 20 02 fb 3f f9 99 99 99 99 99 9a a3 00 67
    63 75 72 72 65 6e 74 06 00 02 fb 3f fb 33 33 33
    33 33 33`.replace(/\s/g, '');
  const bytes = Buffer.from(hex, 'hex');
  assert.equal(bytes.length, 0xc3);
  assert.deepEqual(decodeTelemetry('senml+cbor', bytes, NOW), { points: RESOLVED_5_1_2_TIMED, problems: [] });
});

const EXAMPLE_5_1_3 = [
  { bn: 'urn:dev:ow:10e2073a01080063', bt: 1.320067464e9, bu: '%RH', v: 20 },
  { u: 'lon', v: 24.30621 },
  { u: 'lat', v: 60.07965 },
  { t: 60, v: 20.3 },
  { u: 'lon', t: 60, v: 24.30622 },
  { u: 'lat', t: 60, v: 60.07965 },
  { t: 120, v: 20.7 },
  { u: 'lon', t: 120, v: 24.30623 },
  { u: 'lat', t: 120, v: 60.07966 },
  { u: '%EL', t: 150, v: 98 },
  { t: 180, v: 21.2 },
  { u: 'lon', t: 180, v: 24.30628 },
  { u: 'lat', t: 180, v: 60.07967 },
];

test('RFC 8428 §5.1.3 multiple measurements: names default to bn; unit-only distinctions collapse', () => {
  const key = 'urn:dev:ow:10e2073a01080063';
  const t0 = 1320067464000;
  const r = json(EXAMPLE_5_1_3);
  // Plexus keys are bn + n (ARCHITECTURE §6.1): records told apart only by unit share a key
  // and a time, so the last one wins and each earlier one is reported.
  assert.deepEqual(r.points, [
    { key, value: 60.07965, ts: t0, unit: 'lat' },
    { key, value: 60.07965, ts: t0 + 60_000, unit: 'lat' },
    { key, value: 60.07966, ts: t0 + 120_000, unit: 'lat' },
    { key, value: 98, ts: t0 + 150_000, unit: '%EL' },
    { key, value: 60.07967, ts: t0 + 180_000, unit: 'lat' },
  ]);
  assert.equal(r.problems.length, 8);
  for (const p of r.problems) {
    assert.deepEqual(p, { key, reason: 'replaced by a later value for the same key and time' });
  }
});

test('RFC 8428 §5.1.4 resolved data resolves to the same points as §5.1.3', () => {
  const n = 'urn:dev:ow:10e2073a01080063';
  const resolved = [
    { n, u: '%RH', t: 1.320067464e9, v: 20 },
    { n, u: 'lon', t: 1.320067464e9, v: 24.30621 },
    { n, u: 'lat', t: 1.320067464e9, v: 60.07965 },
    { n, u: '%RH', t: 1.320067524e9, v: 20.3 },
    { n, u: 'lon', t: 1.320067524e9, v: 24.30622 },
    { n, u: 'lat', t: 1.320067524e9, v: 60.07965 },
    { n, u: '%RH', t: 1.320067584e9, v: 20.7 },
    { n, u: 'lon', t: 1.320067584e9, v: 24.30623 },
    { n, u: 'lat', t: 1.320067584e9, v: 60.07966 },
    { n, u: '%EL', t: 1.320067614e9, v: 98 },
    { n, u: '%RH', t: 1.320067644e9, v: 21.2 },
    { n, u: 'lon', t: 1.320067644e9, v: 24.30628 },
    { n, u: 'lat', t: 1.320067644e9, v: 60.07967 },
  ];
  assert.deepEqual(json(resolved), json(EXAMPLE_5_1_3));
});

const EXAMPLE_5_1_5 = [
  { bn: 'urn:dev:ow:10e2073a01080063:', n: 'temp', u: 'Cel', v: 23.1 },
  { n: 'label', vs: 'Machine Room' },
  { n: 'open', vb: false },
  { n: 'nfv-reader', vd: 'aGkgCg' },
];
const RESOLVED_5_1_5 = [
  { key: 'urn:dev:ow:10e2073a01080063:temp', value: 23.1, unit: 'Cel' },
  { key: 'urn:dev:ow:10e2073a01080063:label', value: 'Machine Room' },
  { key: 'urn:dev:ow:10e2073a01080063:open', value: false },
  { key: 'urn:dev:ow:10e2073a01080063:nfv-reader', value: 'aGkgCg' },
];

test('RFC 8428 §5.1.5 multiple data types', () => {
  assert.deepEqual(json(EXAMPLE_5_1_5), { points: RESOLVED_5_1_5, problems: [] });
});

test('§5.1.5 in CBOR with integer labels; vd is a byte string, stored as base64url', () => {
  const pack = [
    new Map<number, unknown>([
      [-2, 'urn:dev:ow:10e2073a01080063:'],
      [0, 'temp'],
      [1, 'Cel'],
      [2, 23.1],
    ]),
    new Map<number, unknown>([
      [0, 'label'],
      [3, 'Machine Room'],
    ]),
    new Map<number, unknown>([
      [0, 'open'],
      [4, false],
    ]),
    new Map<number, unknown>([
      [0, 'nfv-reader'],
      [8, Buffer.from('hi \n')],
    ]),
  ];
  assert.deepEqual(cbor(pack), { points: RESOLVED_5_1_5, problems: [] });
});

test('RFC 8428 §5.1.6: names with "/" do not fit the Plexus key pattern', () => {
  const r = json([
    { bn: '2001:db8::2/', bt: 1.320078429e9, n: 'temperature', u: 'Cel', v: 25.2 },
    { n: 'humidity', u: '%RH', v: 30 },
  ]);
  assert.deepEqual(r.points, []);
  assert.deepEqual(r.problems, [
    { index: 0, key: '2001:db8::2/temperature', reason: KEY_REASON },
    { index: 1, key: '2001:db8::2/humidity', reason: KEY_REASON },
  ]);
});

test('RFC 8428 §5.1.7: a record of base fields only measures nothing and is no problem', () => {
  const r = json([
    { bn: 'urn:dev:ow:10e2073a01080063:' },
    { n: 'temp', u: 'Cel', v: 23.1 },
    { n: 'heat', u: '/', v: 1 },
  ]);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(
    r.points.map((p) => p.key),
    ['urn:dev:ow:10e2073a01080063:temp', 'urn:dev:ow:10e2073a01080063:heat'],
  );
  assert.deepEqual(
    json([
      { bt: 1.320078429e9, bu: '/', n: '2001:db8::3', v: 0.5 },
      { n: '2001:db8::3', t: 0.1, v: 0 },
    ]).points,
    [
      { key: '2001:db8::3', value: 0.5, ts: 1320078429000, unit: '/' },
      { key: '2001:db8::3', value: 0, ts: 1320078429100, unit: '/' },
    ],
  );
});

test('times below 2**28 s are relative to now; from 2**28 on they are absolute (§4.5.3)', () => {
  const ts = (rec: object) => json([{ n: 'a', v: 1, ...rec }]).points[0]?.ts;
  assert.equal(ts({}), undefined, 'no t and no bt: the receive time applies later');
  assert.equal(ts({ t: 0 }), NOW);
  assert.equal(ts({ t: -60 }), NOW - 60_000);
  assert.equal(ts({ t: 1.5 }), NOW + 1500);
  assert.equal(ts({ bt: -10, t: -5 }), NOW - 15_000);
  assert.equal(ts({ t: 2 ** 28 - 1 }), NOW + (2 ** 28 - 1) * 1000);
  assert.equal(ts({ t: 2 ** 28 }), 2 ** 28 * 1000);
  assert.equal(ts({ bt: 1.7e9, t: -1 }), 1.7e12 - 1000);
  assert.deepEqual(json([{ n: 'a', v: 1, t: 1e300 }]).problems, [
    { index: 0, key: 'a', reason: 'resolved time is out of range' },
  ]);
});

test("base fields carry forward until replaced (§4); a record's own unit wins over bu", () => {
  const r = json([
    { bn: 'd:', bu: 'Cel', bv: 100, n: 'a', v: 1 },
    { n: 'b', v: -1, u: 'K' },
    { bn: 'e:', n: 'c', vs: 'text' },
    { n: 'd', v: 2 },
  ]);
  assert.deepEqual(r.points, [
    { key: 'd:a', value: 101, unit: 'Cel' },
    { key: 'd:b', value: 99, unit: 'K' },
    { key: 'e:c', value: 'text', unit: 'Cel' },
    { key: 'e:d', value: 102, unit: 'Cel' },
  ]);
});

test('sums: beside a value as key.sum, alone as the value; bs counts even without s (§4.5.4)', () => {
  assert.deepEqual(json([{ n: 'e', u: 'W', v: 5, s: 100 }]).points, [
    { key: 'e', value: 5, unit: 'W' },
    { key: 'e.sum', value: 100 },
  ]);
  assert.deepEqual(json([{ n: 'e', u: 'W', s: 100 }]).points, [{ key: 'e', value: 100 }]);
  assert.deepEqual(
    json([
      { bs: 1000, n: 'a', s: 5 },
      { n: 'b', v: 1 },
    ]).points,
    [
      { key: 'a', value: 1005 },
      { key: 'b', value: 1 },
      { key: 'b.sum', value: 1000 },
    ],
  );
});

test('unknown fields are ignored, ut too; an unknown must-understand field rejects its record (§4.4)', () => {
  const r = json([
    { n: 'a', v: 1, foo: 'x', ut: 'whatever' },
    { n: 'b', v: 2, foo_: 1 },
    { n: 'c', v: 3 },
  ]);
  assert.deepEqual(
    r.points.map((p) => p.key),
    ['a', 'c'],
  );
  assert.deepEqual(r.problems, [
    { index: 1, key: 'b', reason: 'unknown must-understand field "foo_" (RFC 8428 §4.4)' },
  ]);
});

test('a rejected record still sets its base fields for the records after it', () => {
  const r = json([
    { foo_: 1, bn: 'x:', n: 'a', v: 1 },
    { n: 'b', v: 2 },
  ]);
  assert.deepEqual(r.points, [{ key: 'x:b', value: 2 }]);
  assert.deepEqual(r.problems, [
    { index: 0, key: 'x:a', reason: 'unknown must-understand field "foo_" (RFC 8428 §4.4)' },
  ]);
});

test('record problems: two values, no value, no name, wrong types', () => {
  const r = json([
    { n: 'two', v: 1, vs: 'x' },
    { n: 'none', u: 'Cel' },
    { v: 1 },
    { n: 5, v: 1 },
    { n: 'v', v: '1' },
    { n: 'vs', vs: 1 },
    { n: 'vb', vb: 'true' },
    { n: 's', v: 1, s: 'x' },
    { n: 't', v: 1, t: '0' },
    { n: 'u', v: 1, u: 1 },
    { n: 'bad name', v: 1 },
    7,
  ]);
  assert.deepEqual(r.points, []);
  assert.deepEqual(r.problems, [
    {
      index: 0,
      key: 'two',
      reason: 'more than one value field (v, vs, vb, vd) in one record (RFC 8428 §4.2)',
    },
    { index: 1, key: 'none', reason: 'record has no value (v, vs, vb, vd) and no sum (s) (RFC 8428 §4.2)' },
    { index: 2, reason: 'record has no name: bn + n is empty (RFC 8428 §4.5.1)' },
    { index: 3, reason: 'n must be a string' },
    { index: 4, key: 'v', reason: 'v must be a finite number' },
    { index: 5, key: 'vs', reason: 'vs must be a string' },
    { index: 6, key: 'vb', reason: 'vb must be a boolean' },
    { index: 7, key: 's', reason: 's must be a finite number' },
    { index: 8, key: 't', reason: 't must be a finite number' },
    { index: 9, key: 'u', reason: 'u must be a string' },
    { index: 10, key: 'bad name', reason: KEY_REASON },
    { index: 11, reason: 'record is a number, not a map' },
  ]);
});

test('Data Values: base64url without padding in JSON, a byte string in CBOR', () => {
  const bad = json([
    { n: 'plus', vd: 'a+b/' },
    { n: 'pad', vd: 'aGk=' },
    { n: 'len', vd: 'aGkgC' },
    { n: 'num', vd: 5 },
  ]);
  assert.equal(bad.points.length, 0);
  for (const p of bad.problems) assert.equal(p.reason, 'vd must be base64url without padding (RFC 8428 §5)');
  assert.deepEqual(
    cbor([
      new Map<number, unknown>([
        [0, 'x'],
        [8, 'aGk'],
      ]),
    ]).problems,
    [{ index: 0, key: 'x', reason: 'vd must be a byte string (RFC 8428 §6)' }],
  );
  assert.deepEqual(
    cbor([
      new Map<number, unknown>([
        [0, 'x'],
        [8, Buffer.from([0xfb, 0xff])],
      ]),
    ]).points,
    [{ key: 'x', value: '-_8' }],
  );
  assert.deepEqual(
    cbor([
      new Map<number, unknown>([
        [0, 'x'],
        [8, Buffer.alloc(3073)],
      ]),
    ]).problems,
    [{ index: 0, key: 'x', reason: 'vd longer than 4096 bytes in base64url' }],
  );
});

test('CBOR: NaN values, text labels for standard fields, unknown integer labels', () => {
  const r = cbor([
    new Map<unknown, unknown>([
      [0, 'nan'],
      [2, NaN],
    ]),
    new Map<unknown, unknown>([
      ['n', 'text'],
      [2, 1],
    ]),
    new Map<unknown, unknown>([
      [0, 'ok'],
      [2, 1],
      [99, 'ignored'],
      ['ext', 'ignored'],
    ]),
  ]);
  assert.deepEqual(r.points, [{ key: 'ok', value: 1 }]);
  assert.deepEqual(r.problems, [
    { index: 0, key: 'nan', reason: 'v must be a finite number' },
    { index: 1, reason: 'SenML CBOR labels are integers: "n" is 0 (RFC 8428 §6)' },
  ]);
});

test('a sum key that outgrows the key pattern is a problem', () => {
  const name = 'k'.repeat(125);
  assert.deepEqual(json([{ n: name, v: 1, s: 2 }]).problems, [
    { index: 0, key: `${'k'.repeat(61)}...`, reason: `${KEY_REASON} (for the sum, "${'k'.repeat(61)}...")` },
  ]);
});

test('pack-level errors: not an array, version, malformed base fields, too many records', () => {
  assert.throws(
    () => json({ n: 'a', v: 1 }),
    codecError('senml+json', 'a SenML pack must be an array of records, not an object (RFC 8428 §5)'),
  );
  assert.throws(() => cbor(5), codecError('senml+cbor', 'not a number'));
  assert.throws(
    () => json([{ bver: 99, n: 'a', v: 1 }]),
    codecError('senml+json', 'record 0: unsupported SenML version 99: this decoder reads up to 10'),
  );
  assert.throws(() => cbor([new Map([[-1, 11]])]), codecError('senml+cbor', 'unsupported SenML version 11'));
  assert.throws(
    () => json([{ bver: '10', n: 'a', v: 1 }]),
    codecError('senml+json', 'bver must be a positive integer'),
  );
  assert.throws(() => json([{ bver: 0 }]), codecError('senml+json', 'bver must be a positive integer'));
  assert.throws(
    () =>
      json([
        { bver: 10, n: 'a', v: 1 },
        { bver: 5, n: 'b', v: 1 },
      ]),
    codecError('senml+json', 'record 1: bver 5 differs from 10'),
  );
  assert.deepEqual(
    json([
      { bver: 10, n: 'a', v: 1 },
      { bver: 10, n: 'b', v: 1 },
    ]).problems,
    [],
  );
  assert.throws(
    () => json([{ bn: 5, n: 'a', v: 1 }]),
    codecError('senml+json', 'record 0: bn must be a string'),
  );
  assert.throws(
    () => json([{ n: 'a', v: 1 }, { bt: 'now' }]),
    codecError('senml+json', 'record 1: bt must be a finite number'),
  );
  assert.throws(() => cbor([new Map([[-5, NaN]])]), codecError('senml+cbor', 'bv must be a finite number'));
  assert.throws(() => json([{ bu: 1 }]), codecError('senml+json', 'bu must be a string'));
  assert.throws(() => json([{ bs: null }]), codecError('senml+json', 'bs must be a finite number'));
  assert.equal(json(Array.from({ length: 10_000 }, (_, i) => ({ n: `k${i}`, v: i }))).points.length, 10_000);
  assert.throws(
    () => json(Array.from({ length: 10_001 }, (_, i) => ({ n: `k${i}`, v: i }))),
    codecError('senml+json', 'pack has more than 10000 records: split it'),
  );
});

test('invalid JSON or CBOR is a CodecError of the senml codec', () => {
  assert.throws(
    () => decodeTelemetry('senml+json', new TextEncoder().encode('[{"n":'), NOW),
    codecError('senml+json', 'invalid JSON: '),
  );
  assert.throws(
    () => decodeTelemetry('senml+cbor', Buffer.from([0x81, 0xa1]), NOW),
    codecError('senml+cbor', 'invalid CBOR: '),
  );
});
