import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { PlexusError } from '../../core/errors.js';
import { decodeValue, encodeValue, parseHeader } from './format.js';
import { type ExportItem, readExport } from './reader.js';

test('values JSON cannot hold travel tagged and come back exact', () => {
  const bytes = Buffer.from([0, 255, 7]);
  for (const [value, back] of [
    [bytes, bytes],
    [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY],
    [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY],
    [2n ** 62n, 2n ** 62n],
    [12n, 12],
    [true, 1],
    [{ a: [1] }, '{"a":[1]}'],
    ['{"a":1}', '{"a":1}'],
    [null, null],
  ] as const) {
    const line = JSON.stringify([encodeValue(value)]);
    assert.deepEqual(decodeValue(JSON.parse(line)[0]), back, line);
  }
  assert.ok(Number.isNaN(decodeValue(encodeValue(Number.NaN))));
  assert.equal(decodeValue({ other: 1 }), undefined, 'an object that is no tagged value');
  assert.equal(decodeValue([1]), undefined);
});

const HEADER = {
  format: 'plexus-export',
  version: 1,
  plexus: '0.1.0',
  schema: { sqlite: 10 },
  createdAt: 'x',
};

test('the header is checked field by field', () => {
  assert.deepEqual(parseHeader(JSON.stringify({ ...HEADER, tables: ['a'] })).tables, ['a']);
  for (const [h, why] of [
    ['not json', /line 1 is not a JSON header/],
    [JSON.stringify({ ...HEADER, format: 'x', tables: [] }), /no "format":"plexus-export"/],
    [JSON.stringify({ ...HEADER, tables: ['a', 'a'] }), /distinct table names/],
    [JSON.stringify({ ...HEADER, schema: { mysql: 1 }, tables: [] }), /"schema"/],
    [JSON.stringify({ ...HEADER, version: 9, tables: [] }), /format version 9/],
  ] as const) {
    assert.throws(
      () => parseHeader(h),
      (e: PlexusError) => why.test(e.message),
      h,
    );
  }
});

async function read(lines: string[]): Promise<ExportItem[]> {
  const out: ExportItem[] = [];
  for await (const chunk of readExport(Readable.from([gzipSync(lines.join('\n'))]), () => undefined))
    out.push(...chunk);
  return out;
}

test('the reader yields tables and decoded rows, and names the table and line of the first bad one', async () => {
  const head = JSON.stringify({ ...HEADER, tables: ['a', 'b'] });
  const good = [
    head,
    '{"table":"a","columns":["x","y"]}',
    '[1,{"$base64":"AQI="}]',
    '{"table":"b","columns":["z"]}',
    '{"end":true,"rows":{"a":1,"b":0}}',
  ];
  const items = await read(good);
  assert.deepEqual(
    items.map((i) => i.kind),
    ['table', 'row', 'table', 'end'],
  );
  assert.deepEqual((items[1] as { values: unknown[] }).values, [1, Buffer.from([1, 2])]);
  const cases: [string[], RegExp][] = [
    [
      [...good.slice(0, 2), '[1]', ...good.slice(3)],
      /^table a, line 3: the row has 1 values, the table line \(line 2\) names 2 columns$/,
    ],
    [
      [...good.slice(0, 2), '[1,{"x":1}]', ...good.slice(3)],
      /^table a, line 3: column y: not a value Plexus exports$/,
    ],
    [
      [good[0] as string, good[3] as string],
      /^table b, line 2: unexpected table line: the header lists a next$/,
    ],
    [
      [...good.slice(0, 4), '{"end":true,"rows":{"a":2,"b":0}}'],
      /^table a, line 5: the end line counts 2 rows, the file holds 1$/,
    ],
    [good.slice(0, 3), /truncated: it ends at line 3 inside table a without its end line/],
    [[...good, '[1]'], /^line 6: text after the end line$/],
  ];
  for (const [lines, why] of cases) {
    await assert.rejects(read(lines), (e: PlexusError) => why.test(e.message), why.source);
  }
});
