import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OfflineBuffer, type Queued } from './offline-buffer.js';

interface Item extends Queued {
  readonly n: number;
}
const t = (n: number, size = 10, points = 1): Item => ({
  kind: 'telemetry',
  batchable: true,
  size,
  points,
  n,
});
const other = (n: number, kind = 'event', batchable = true): Item => ({
  kind,
  batchable,
  size: 10,
  points: 1,
  n,
});
const ns = (items: readonly Item[]) => items.map((i) => i.n);
const wide = { maxItems: 1000, maxBytes: 1e9, maxPoints: 1e9 };

test('items come out in the order they went in', () => {
  const b = new OfflineBuffer<Item>(10);
  for (let n = 0; n < 5; n++) b.push(t(n));
  assert.equal(b.length, 5);
  assert.deepEqual(ns(b.take(wide)), [0, 1, 2, 3, 4]);
  assert.equal(b.length, 0);
  assert.deepEqual(b.take(wide), []);
});

test('past the limit the oldest waiting item is dropped and returned', () => {
  const b = new OfflineBuffer<Item>(3);
  assert.deepEqual(ns([...b.push(t(0)), ...b.push(t(1)), ...b.push(t(2))]), []);
  assert.deepEqual(ns(b.push(t(3))), [0]);
  assert.deepEqual(ns(b.push(t(4))), [1]);
  assert.equal(b.length, 3);
  assert.deepEqual(ns(b.take(wide)), [2, 3, 4]);
});

test('in-flight items put back go first, in their order, ahead of newer ones', () => {
  const b = new OfflineBuffer<Item>(10);
  for (let n = 0; n < 4; n++) b.push(t(n));
  const inFlight = b.take({ ...wide, maxItems: 2 });
  assert.deepEqual(ns(inFlight), [0, 1]);
  b.push(t(4));
  assert.deepEqual(b.unshift(inFlight), []);
  assert.deepEqual(ns(b.take(wide)), [0, 1, 2, 3, 4]);
});

test('putting back more than fits drops the oldest', () => {
  const b = new OfflineBuffer<Item>(3);
  b.push(t(2));
  b.push(t(3));
  assert.deepEqual(ns(b.unshift([t(0), t(1)])), [0]);
  assert.deepEqual(ns(b.take(wide)), [1, 2, 3]);
});

test('a batch stops at the item, byte and point limits, and at a change of kind', () => {
  const b = new OfflineBuffer<Item>(100);
  for (let n = 0; n < 10; n++) b.push(t(n, 100, 3));
  b.push(other(10));
  b.push(other(11));
  assert.deepEqual(ns(b.take({ ...wide, maxItems: 4 })), [0, 1, 2, 3]);
  assert.deepEqual(ns(b.take({ ...wide, maxBytes: 250 })), [4, 5]);
  assert.deepEqual(ns(b.take({ ...wide, maxPoints: 9 })), [6, 7, 8]);
  assert.deepEqual(ns(b.take(wide)), [9]);
  assert.deepEqual(ns(b.take(wide)), [10, 11]);
});

test('a non-batchable item goes alone, and the first item goes even when oversized', () => {
  const b = new OfflineBuffer<Item>(10);
  b.push(other(0, 'reported', false));
  b.push(other(1, 'reported', false));
  b.push(t(2, 5000));
  b.push(t(3));
  assert.deepEqual(ns(b.take(wide)), [0]);
  assert.deepEqual(ns(b.take(wide)), [1]);
  assert.deepEqual(ns(b.take({ ...wide, maxBytes: 100 })), [2]);
  assert.deepEqual(ns(b.take(wide)), [3]);
});

test('a long run of pushes and takes keeps order and length (head compaction)', () => {
  const b = new OfflineBuffer<Item>(25_000);
  const seen: number[] = [];
  for (let n = 0; n < 20_000; n++) {
    b.push(t(n));
    if (n % 3 === 0) seen.push(...ns(b.take({ ...wide, maxItems: 2 })));
  }
  seen.push(...ns(b.drain()));
  assert.equal(b.length, 0);
  // Nothing dropped (never more than 25,000 waiting), nothing repeated, in order.
  assert.deepEqual(
    seen,
    Array.from({ length: 20_000 }, (_, i) => i),
  );
});

test('drain empties the buffer and a bad limit is refused', () => {
  const b = new OfflineBuffer<Item>(2);
  b.push(t(0));
  assert.deepEqual(ns(b.drain()), [0]);
  assert.equal(b.length, 0);
  assert.throws(() => new OfflineBuffer<Item>(0), RangeError);
});
