import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Encoder } from 'cbor-x';
import { decodeEvents } from './decode.js';
import { CodecError, type CodecName } from './model.js';

const TS = 1714564800000;
const json = (v: unknown) => decodeEvents('json', new TextEncoder().encode(JSON.stringify(v)));
const encoder = new Encoder({ useRecords: false, mapsAsObjects: false, tagUint8Array: false });
const cbor = (v: unknown) => decodeEvents('cbor', encoder.encode(v));
const codecError = (codec: string, fragment: string) => (err: unknown) =>
  err instanceof CodecError && err.codec === codec && err.message.includes(fragment);

test('an event: type, optional ts, and the other fields as data', () => {
  assert.deepEqual(json({ type: 'door_open', ts: TS, door: 2, who: { badge: 'A7' } }), {
    events: [{ type: 'door_open', ts: TS, data: { door: 2, who: { badge: 'A7' } } }],
    problems: [],
  });
  assert.deepEqual(json({ type: 'boot' }), { events: [{ type: 'boot', data: {} }], problems: [] });
  assert.deepEqual(json({ type: 'x', ts: '2024-05-01T12:00:00Z' }).events[0]?.ts, TS);
});

test('data keeps JSON values as sent: null, arrays, nested objects', () => {
  assert.deepEqual(json({ type: 'x', a: null, b: [1, 'two', [3], { c: false }] }).events[0]?.data, {
    a: null,
    b: [1, 'two', [3], { c: false }],
  });
});

test('an array of events; entries without a valid type or ts are problems with their index', () => {
  const r = json([
    { type: 'a' },
    { door: 1 },
    { type: '' },
    { type: 'x'.repeat(129) },
    { type: 7 },
    { type: 'b', ts: 'soon' },
    'text',
    { type: 'x'.repeat(128) },
  ]);
  assert.deepEqual(
    r.events.map((e) => e.type),
    ['a', 'x'.repeat(128)],
  );
  const typeReason = 'type must be a non-empty string of at most 128 characters';
  assert.deepEqual(r.problems, [
    { index: 1, key: 'type', reason: typeReason },
    { index: 2, key: 'type', reason: typeReason },
    { index: 3, key: 'type', reason: typeReason },
    { index: 4, key: 'type', reason: typeReason },
    { index: 5, key: 'ts', reason: 'ts is not an ISO 8601 date-time with a zone, e.g. 2024-05-01T12:00:00Z' },
    { index: 6, reason: 'event is a string, not an object' },
  ]);
});

test('CBOR events: maps become plain objects in data', () => {
  const r = cbor(
    new Map<unknown, unknown>([
      ['type', 'alarm'],
      ['ts', TS],
      ['detail', new Map<unknown, unknown>([['code', 17]])],
      ['list', [new Map([['x', 1]])]],
    ]),
  );
  assert.deepEqual(r, {
    events: [{ type: 'alarm', ts: TS, data: { detail: { code: 17 }, list: [{ x: 1 }] } }],
    problems: [],
  });
  const data = r.events[0]?.data as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(data.detail), Object.prototype);
});

test('CBOR values JSON cannot carry make the event a problem, with the path to them', () => {
  const r = cbor([
    { type: 'a', reading: { samples: [1, NaN] } },
    { type: 'b', blob: Buffer.from([1]) },
    { type: 'c', u: undefined },
    new Map<unknown, unknown>([
      ['type', 'd'],
      [5, 'x'],
    ]),
    { type: 'e', n: 2n ** 64n },
    { type: 'ok' },
  ]);
  assert.deepEqual(
    r.events.map((e) => [e.type, e.data]),
    [
      ['e', { n: 18446744073709552000 }],
      ['ok', {}],
    ],
  );
  assert.deepEqual(r.problems, [
    { index: 0, key: 'reading.samples.1', reason: 'NaN is not a storable number' },
    { index: 1, key: 'blob', reason: 'a byte string is not a storable value' },
    { index: 2, key: 'u', reason: 'undefined is not a storable value' },
    { index: 3, reason: 'map key (a number) is not a text string' },
  ]);
});

test('event data nested deeper than 8 levels is a problem', () => {
  let deep: unknown = 1;
  for (let i = 0; i < 8; i++) deep = { d: deep };
  assert.equal(json({ type: 'x', a: deep }).problems[0]?.reason, 'nested deeper than 8 levels');
  let ok: unknown = 1;
  for (let i = 0; i < 7; i++) ok = { d: ok };
  assert.deepEqual(json({ type: 'x', a: ok }).problems, []);
});

test('a __proto__ field in data stays a field', () => {
  const r = cbor(
    new Map<unknown, unknown>([
      ['type', 'x'],
      ['__proto__', new Map([['polluted', true]])],
    ]),
  );
  const data = r.events[0]?.data as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(data), Object.prototype);
  assert.deepEqual(Object.keys(data), ['__proto__']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('payload-level errors: top-level scalar, bad bytes, more than 1,000 events', () => {
  assert.throws(() => json(5), codecError('json', 'top level must be an object or an array, not a number'));
  assert.throws(
    () => decodeEvents('json', new TextEncoder().encode('{"type":')),
    codecError('json', 'invalid JSON: '),
  );
  assert.throws(() => decodeEvents('cbor', Buffer.from([0x1c])), codecError('cbor', 'invalid CBOR: '));
  assert.equal(json(Array.from({ length: 1000 }, () => ({ type: 'x' }))).events.length, 1000);
  assert.throws(
    () => json(Array.from({ length: 1001 }, () => ({ type: 'x' }))),
    codecError('json', 'payload has more than 1000 events: split it'),
  );
});

test('CBOR shared references cannot blow event data up beyond its budget', () => {
  // Value-sharing tags (28/29): an array of 400 references to one 400-element array
  // is a few kB on the wire and 160,000 values once expanded.
  const inner = `d81c9901 90${'01'.repeat(400)}`.replace(/ /g, '');
  const outer = `a2 64 74797065 61 78 61 61 9901 90 ${inner}${'d81d00'.repeat(399)}`.replace(/ /g, '');
  assert.throws(
    () => decodeEvents('cbor', Buffer.from(outer, 'hex')),
    codecError('cbor', 'event data has more than 100000 values'),
  );
});

test('a SenML codec is refused at run time too', () => {
  assert.throws(
    () => decodeEvents('senml+json' as 'json', new Uint8Array()),
    codecError('senml+json' as CodecName, 'this codec carries no events'),
  );
});
