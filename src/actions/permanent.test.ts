import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PlexusError } from '../core/errors.js';
import { isFinalStatus, isPermanent, PermanentError } from './permanent.js';

test('a refusal of the request itself is final; time-outs, conflicts, throttling and 5xx are retried', () => {
  for (const s of [400, 401, 403, 404, 410, 413, 422]) assert.equal(isFinalStatus(s), true, String(s));
  for (const s of [408, 409, 425, 429, 500, 502, 503, 504]) assert.equal(isFinalStatus(s), false, String(s));
});

test('platform errors are final by their status; unknown errors are retried', () => {
  const def = (status: number) => ({ code: 'X', status, title: 'x' });
  assert.equal(isPermanent(new PlexusError(def(404), 'device gone')), true);
  assert.equal(isPermanent(new PlexusError(def(429), 'slow down')), false);
  assert.equal(isPermanent(new PlexusError(def(503), 'busy')), false);
  assert.equal(isPermanent(new PermanentError('no')), true);
  assert.equal(isPermanent(new Error('ECONNREFUSED')), false);
});
