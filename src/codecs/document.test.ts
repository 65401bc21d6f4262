import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encode } from 'cbor-x';
import { parseCbor } from './cbor.js';
import { decodeDocument } from './decode.js';

const cbor = (v: unknown) => new Uint8Array(encode(v));

test('a CBOR document decodes to the JSON value a JSON payload gives', () => {
  const doc = {
    setpoint: 21.5,
    mode: 'eco',
    on: true,
    zones: [{ id: 1, t: null }],
    nested: { a: { b: 'c' } },
  };
  assert.deepEqual(decodeDocument('cbor', cbor(doc)), doc);
  assert.deepEqual(decodeDocument('json', new TextEncoder().encode(JSON.stringify(doc))), doc);
  assert.deepEqual(decodeDocument('cbor', cbor([1, 'x'])), [1, 'x']);
  assert.equal(decodeDocument('cbor', cbor('done')), 'done');
});

test('a "__proto__" key stays a key and pollutes nothing', () => {
  const m = new Map<string, unknown>([['__proto__', { polluted: true }]]);
  const out = decodeDocument('cbor', cbor(m)) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.deepEqual(Object.keys(out), ['__proto__']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('what JSON cannot hold is refused with its path', () => {
  const cases: [unknown, RegExp][] = [
    [new Map<unknown, unknown>([[1, 'a']]), /map keys must be text/],
    [{ blob: new Uint8Array([1, 2]) }, /\/blob: a byte string has no JSON form/],
    [{ n: Number.NaN }, /\/n: NaN is not a JSON number/],
    [{ big: 2n ** 64n }, /\/big: integer .* beyond 2\^53/],
  ];
  for (const [v, re] of cases) assert.throws(() => decodeDocument('cbor', cbor(v)), re);
  let deep: unknown = 1;
  for (let i = 0; i < 100; i++) deep = [deep];
  assert.throws(() => decodeDocument('cbor', cbor(deep)), /nested deeper than 64/);
  assert.ok(parseCbor('cbor', cbor(deep)), 'the CBOR itself is fine: the document rule refuses it');
});
