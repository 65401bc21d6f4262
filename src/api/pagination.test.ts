import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PlexusError } from '../core/errors.js';
import { decodeCursor, encodeCursor, pageQuery, toList } from './pagination.js';

test('cursors round-trip and are opaque', () => {
  const c = encodeCursor('press-7');
  assert.doesNotMatch(c, /press-7/);
  assert.equal(decodeCursor(c), 'press-7');
});

test('foreign cursors are refused with a precise error', () => {
  for (const bad of ['nonsense', Buffer.from('{"a":1}').toString('base64url'), '']) {
    assert.throws(
      () => decodeCursor(bad),
      (e: unknown) => e instanceof PlexusError && e.code === 'API_INVALID_CURSOR',
    );
  }
});

test('lists carry next only when another page exists', () => {
  assert.deepEqual(toList({ items: [1, 2] }), { items: [1, 2] });
  const l = toList({ items: [1], nextAfter: 'x' });
  assert.equal(decodeCursor(l.next as string), 'x');
  assert.deepEqual(pageQuery({}), { limit: 100, after: undefined });
});
