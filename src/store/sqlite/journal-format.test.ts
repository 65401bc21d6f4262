import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeSegment, encodeRecord, RECORD_HEADER } from './journal-format.js';

const rec = (seq: number, text: string) => encodeRecord(seq, Buffer.from(text));

test('journal records round-trip in order', () => {
  const seg = Buffer.concat([rec(1, 'one'), rec(2, ''), rec(3, 'three')]);
  const { records, tornBytes } = decodeSegment(seg);
  assert.equal(tornBytes, 0);
  assert.deepEqual(
    records.map((r) => [r.seq, r.payload.toString()]),
    [
      [1, 'one'],
      [2, ''],
      [3, 'three'],
    ],
  );
});

test('a record cut short by a crash ends the segment and is reported', () => {
  const whole = Buffer.concat([rec(7, 'kept'), rec(8, 'lost in the crash')]);
  for (const cut of [1, RECORD_HEADER - 1, RECORD_HEADER + 3]) {
    const seg = whole.subarray(0, rec(7, 'kept').length + cut);
    const { records, tornBytes } = decodeSegment(seg);
    assert.deepEqual(
      records.map((r) => r.seq),
      [7],
    );
    assert.equal(tornBytes, cut);
  }
});

test('a corrupt record is not trusted: bad CRC, absurd length, bad seq', () => {
  const good = rec(1, 'ok');
  const flipped = rec(2, 'payload');
  flipped.writeUInt8((flipped.at(-1) as number) ^ 0xff, flipped.length - 1);
  const huge = rec(3, 'x');
  huge.writeUInt32LE(0xffffffff, 0);
  const zeroSeq = encodeRecord(0, Buffer.from('z'));
  for (const bad of [flipped, huge, zeroSeq, Buffer.alloc(40)]) {
    const { records, tornBytes } = decodeSegment(Buffer.concat([good, bad, rec(4, 'after')]));
    assert.deepEqual(
      records.map((r) => r.seq),
      [1],
    );
    assert.equal(tornBytes, bad.length + rec(4, 'after').length);
  }
});

test('an empty segment has no records and nothing torn', () => {
  assert.deepEqual(decodeSegment(Buffer.alloc(0)), { records: [], tornBytes: 0 });
});
