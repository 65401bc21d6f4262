import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostOf, mosquittoPubLine, mqttUsername, shellQuote } from './connect-hint.js';

test('the MQTT user name carries the tenant except for tenant default', () => {
  assert.equal(mqttUsername('press-7', 'default'), 'press-7');
  assert.equal(mqttUsername('press-7', 'acme'), 'press-7@acme');
});

test('mosquitto_pub line for a default-tenant device', () => {
  const line = mosquittoPubLine({
    url: 'http://127.0.0.1:8080',
    port: 1883,
    deviceId: 'press-7',
    tenant: 'default',
    secret: 's3cr3t-AZ_x',
  });
  assert.equal(
    line,
    `mosquitto_pub -h 127.0.0.1 -p 1883 -i press-7 -u press-7 -P 's3cr3t-AZ_x' -t devices/press-7/telemetry -m '{"temperature":21.5}'`,
  );
});

test('mosquitto_pub line for another tenant, an IPv6 host and a quote in the secret', () => {
  const line = mosquittoPubLine({
    url: 'https://[::1]:8443/',
    port: 18830,
    deviceId: 'd1',
    tenant: 'acme',
    secret: "a'b",
  });
  assert.equal(
    line,
    `mosquitto_pub -h ::1 -p 18830 -i d1 -u d1@acme -P 'a'\\''b' -t devices/d1/telemetry -m '{"temperature":21.5}'`,
  );
});

test('hostOf and shellQuote', () => {
  assert.equal(hostOf('http://plexus.local:8080/base'), 'plexus.local');
  assert.equal(shellQuote('plain-word_1.2'), 'plain-word_1.2');
  assert.equal(shellQuote('two words'), "'two words'");
});
