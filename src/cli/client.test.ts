import assert from 'node:assert/strict';
import { test } from 'node:test';
import { path, withQuery } from './client.js';

test('path escapes every interpolated id', () => {
  assert.equal(
    path`/api/v1/devices/${'a/b c'}/credentials/${'x?y'}`,
    '/api/v1/devices/a%2Fb%20c/credentials/x%3Fy',
  );
});

test('withQuery repeats array keys, leaves out undefined and encodes values', () => {
  assert.equal(
    withQuery('/d', { label: ['site=lyon', 'floor=2'], q: undefined, limit: 5, all: false }),
    '/d?label=site%3Dlyon&label=floor%3D2&limit=5&all=false',
  );
  assert.equal(withQuery('/d', {}), '/d');
});
