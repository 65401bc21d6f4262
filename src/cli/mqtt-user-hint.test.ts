import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mqttUserLine } from './mqtt-user-hint.js';

const base = {
  url: 'http://127.0.0.1:8080',
  port: 1883,
  username: 'node-red',
  tenant: 'acme',
  secret: 's3cr3t',
};

test('mosquitto_sub on the first topic the user may subscribe to, %u filled in', () => {
  const line = mqttUserLine({
    ...base,
    rules: [
      { permission: 'deny', action: 'subscribe', topic: 'plant/secret/#' },
      { permission: 'allow', action: 'publish', topic: 'plant/%u/out' },
      { permission: 'allow', action: 'both', topic: 'plant/%u/#' },
    ],
  });
  assert.equal(
    line,
    `mosquitto_sub -h 127.0.0.1 -p 1883 -u node-red@acme -P 's3cr3t' -t 'plant/node-red/#' -v`,
  );
});

test('mosquitto_pub when the user may only publish; wildcards become levels; %c sets the client id', () => {
  const line = mqttUserLine({
    ...base,
    tenant: 'default',
    rules: [{ permission: 'allow', action: 'publish', topic: 'plc/%c/+/#' }],
  });
  assert.equal(
    line,
    `mosquitto_pub -h 127.0.0.1 -p 1883 -i node-red -u node-red -P 's3cr3t' -t plc/node-red/x/test -m 'hello'`,
  );
});

test('no line when no rule allows anything', () => {
  assert.equal(mqttUserLine({ ...base, rules: [] }), undefined);
  assert.equal(
    mqttUserLine({ ...base, rules: [{ permission: 'deny', action: 'both', topic: '#' }] }),
    undefined,
  );
});
