import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dottedPath, toFieldErrors } from './validation.js';

test('unknown fields, enums and required fields become precise messages', () => {
  const errors = toFieldErrors(
    [
      { keyword: 'boolean', instancePath: '/x', message: 'schema is false' },
      { keyword: 'additionalProperties', instancePath: '', params: { additionalProperty: 'x' } },
      { keyword: 'enum', instancePath: '/role', params: { allowedValues: ['admin', 'viewer'] } },
      { keyword: 'required', instancePath: '', params: { missingProperty: 'name' } },
      { keyword: 'type', instancePath: '/n', message: 'must be integer' },
      { keyword: 'type', instancePath: '/n', message: 'must be integer' },
    ],
    '/body',
  );
  assert.deepEqual(errors, [
    { path: '/body/x', message: 'is not a known field' },
    { path: '/body/role', message: 'must be one of: "admin", "viewer"' },
    { path: '/body/name', message: 'is required' },
    { path: '/body/n', message: 'must be integer' },
  ]);
});

test('dotted paths for people', () => {
  assert.equal(dottedPath('/http/port'), 'http.port');
  assert.equal(dottedPath(''), '(root)');
});
