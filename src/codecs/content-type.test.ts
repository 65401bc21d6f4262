import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codecFromContentType } from './content-type.js';

test('the four media types of ARCHITECTURE §5', () => {
  assert.equal(codecFromContentType('application/json'), 'json');
  assert.equal(codecFromContentType('application/cbor'), 'cbor');
  assert.equal(codecFromContentType('application/senml+json'), 'senml+json');
  assert.equal(codecFromContentType('application/senml+cbor'), 'senml+cbor');
});

test('case-insensitive, parameters and surrounding spaces ignored', () => {
  assert.equal(codecFromContentType('Application/JSON; charset=utf-8'), 'json');
  assert.equal(codecFromContentType('  application/senml+cbor ;x=y'), 'senml+cbor');
  assert.equal(codecFromContentType('APPLICATION/CBOR;'), 'cbor');
});

test('anything else, or nothing, is undefined', () => {
  for (const ct of [
    undefined,
    '',
    'text/plain',
    'application/xml',
    'application/senml+xml',
    'application/json-seq',
  ]) {
    assert.equal(codecFromContentType(ct), undefined, String(ct));
  }
});
