import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenBucket } from './token-bucket.js';

test('a bucket allows its burst, then its rate', () => {
  const b = new TokenBucket(10, 20, 0);
  let allowed = 0;
  for (let i = 0; i < 100; i++) if (b.tryTake(0)) allowed++;
  assert.equal(allowed, 20);
  assert.equal(b.tryTake(50), false, 'half a token after 50 ms');
  assert.equal(b.tryTake(100), true, 'one token after 100 ms at 10/s');
});

test('a large take borrows and reports how long to wait', () => {
  const b = new TokenBucket(1000, 1000, 0);
  b.take(3000, 0);
  assert.equal(b.waitMs(0), 2001);
  assert.equal(b.waitMs(2001), 0);
  assert.equal(b.waitMs(10_000), 0);
});
