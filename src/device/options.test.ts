import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeviceSdkError } from './errors.js';
import { DEFAULTS, validateOptions } from './options.js';

const base = { url: 'mqtt://127.0.0.1:1883', id: 'press-7', secret: 's3cret' };
const rejects = (raw: unknown, option: string, text: RegExp) =>
  assert.throws(
    () => validateOptions(raw),
    (err: unknown) =>
      err instanceof DeviceSdkError &&
      err.code === 'INVALID_OPTION' &&
      err.option === option &&
      text.test(err.message),
    `${JSON.stringify(raw)} → ${option} ${text}`,
  );

test('the minimal options get the documented defaults', () => {
  const o = validateOptions(base);
  assert.equal(o.transport, 'mqtt');
  assert.equal(o.username, 'press-7');
  assert.equal(o.mqttVersion, 5);
  assert.equal(o.format, 'json');
  assert.equal(o.bufferLimit, DEFAULTS.bufferLimit);
  assert.deepEqual(o.reconnect, { minMs: 1000, maxMs: 30_000 });
  assert.equal(o.keepalive, 30);
  assert.equal(o.connectTimeoutMs, undefined);
  assert.equal(o.tls, undefined);
});

test('a tenant makes the user name id@tenant; every url scheme maps to its transport', () => {
  assert.equal(validateOptions({ ...base, tenant: 'acme' }).username, 'press-7@acme');
  for (const [url, transport] of [
    ['mqtts://h:8883', 'mqtt'],
    ['ws://h:8080/mqtt', 'mqtt'],
    ['wss://h/mqtt', 'mqtt'],
    ['http://h:8080', 'http'],
    ['https://h', 'http'],
  ] as const) {
    assert.equal(validateOptions({ ...base, url }).transport, transport, url);
  }
});

test('tls, reconnect and the rest are taken when valid', () => {
  const o = validateOptions({
    ...base,
    url: 'mqtts://h:8883',
    tls: { ca: '-----BEGIN CERTIFICATE-----', rejectUnauthorized: false },
    reconnect: { minMs: 50 },
    mqttVersion: 4,
    format: 'senml',
    bufferLimit: 5,
    keepalive: 0,
    connectTimeoutMs: 2000,
    batchSize: 10,
  });
  assert.deepEqual(o.tls, { ca: '-----BEGIN CERTIFICATE-----', rejectUnauthorized: false });
  assert.deepEqual(o.reconnect, { minMs: 50, maxMs: 30_000 });
  assert.equal(o.mqttVersion, 4);
  assert.deepEqual(validateOptions({ ...base, reconnect: { maxMs: 200 } }).reconnect, {
    minMs: 200,
    maxMs: 200,
  });
  assert.deepEqual(validateOptions({ ...base, reconnect: { minMs: 60_000 } }).reconnect, {
    minMs: 60_000,
    maxMs: 60_000,
  });
  assert.equal(validateOptions({ ...base, url: 'http://h', pollMs: 5000 }).pollMs, 5000);
});

test('garbage options are refused with the option named', () => {
  rejects(undefined, 'options', /must be an object/);
  rejects('mqtt://x', 'options', /must be an object/);
  rejects({ ...base, secrte: 'x' }, 'secrte', /unknown option/);
  rejects({ ...base, url: undefined }, 'url', /must be a URL string/);
  rejects({ ...base, url: 'not a url' }, 'url', /is not a URL/);
  rejects({ ...base, url: 'ftp://h' }, 'url', /protocol ftp: is not one of/);
  rejects({ ...base, url: 'mqtt://u:p@h' }, 'url', /credentials/);
  rejects({ ...base, id: '' }, 'id', /device id/);
  rejects({ ...base, id: 'a/b' }, 'id', /device id/);
  rejects({ ...base, id: 'x@acme' }, 'id', /device id/);
  rejects({ ...base, id: 7 }, 'id', /device id/);
  rejects({ ...base, secret: '' }, 'secret', /non-empty/);
  rejects({ ...base, secret: undefined }, 'secret', /non-empty/);
  rejects({ ...base, tenant: 'ACME' }, 'tenant', /tenant id/);
  rejects({ ...base, mqttVersion: 3 }, 'mqttVersion', /5 or 4/);
  rejects({ ...base, format: 'xml' }, 'format', /'json', 'cbor' or 'senml'/);
  rejects({ ...base, bufferLimit: 0 }, 'bufferLimit', /integer from 1/);
  rejects({ ...base, bufferLimit: 1.5 }, 'bufferLimit', /integer/);
  rejects({ ...base, bufferLimit: '10' }, 'bufferLimit', /integer/);
  rejects({ ...base, keepalive: -1 }, 'keepalive', /integer from 0 to 65535/);
  rejects({ ...base, connectTimeoutMs: 0 }, 'connectTimeoutMs', /integer/);
  rejects({ ...base, batchSize: 10_001 }, 'batchSize', /integer from 1 to 10000/);
});

test('reconnect and tls are checked field by field', () => {
  rejects({ ...base, reconnect: 5 }, 'reconnect', /must be an object/);
  rejects({ ...base, reconnect: { min: 5 } }, 'reconnect.min', /unknown option/);
  rejects({ ...base, reconnect: { minMs: -1 } }, 'reconnect.minMs', /integer/);
  rejects({ ...base, reconnect: { minMs: 500, maxMs: 100 } }, 'reconnect.maxMs', /must not be below/);
  const tlsUrl = { ...base, url: 'mqtts://h:8883' };
  rejects({ ...base, tls: {} }, 'tls', /applies to mqtts:, wss:, https:/);
  rejects({ ...tlsUrl, tls: 'yes' }, 'tls', /must be an object/);
  rejects({ ...tlsUrl, tls: { cert: 'x' } }, 'tls.cert', /unknown option/);
  rejects({ ...tlsUrl, tls: { ca: 5 } }, 'tls.ca', /PEM string or a Buffer/);
  rejects({ ...tlsUrl, tls: { rejectUnauthorized: 'no' } }, 'tls.rejectUnauthorized', /boolean/);
});

test('options of the other transport are refused rather than ignored', () => {
  rejects({ ...base, pollMs: 5000 }, 'pollMs', /http: and https: urls only/);
  rejects({ ...base, url: 'http://h', mqttVersion: 5 }, 'mqttVersion', /mqtt:, mqtts:, ws:, wss: urls only/);
  rejects({ ...base, url: 'http://h', keepalive: 30 }, 'keepalive', /urls only/);
  rejects({ ...base, url: 'http://h', pollMs: 500 }, 'pollMs', /integer from 1000 to 55000/);
});
