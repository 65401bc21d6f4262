import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration } from './duration.js';

test('parseDuration reads units, decimals and plain seconds', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('10s'), 10_000);
  assert.equal(parseDuration(' 5m '), 300_000);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('1d'), 86_400_000);
  assert.equal(parseDuration('30'), 30_000);
  assert.equal(parseDuration(2.5), 2500);
  for (const bad of ['', 'soon', '-1s', '5 minutes', '1e3s', Number.NaN, -1]) {
    assert.equal(parseDuration(bad as string), undefined, String(bad));
  }
});
