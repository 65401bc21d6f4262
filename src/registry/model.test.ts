import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grantProblem, hashSecret, newDeviceSecret, secretMatches, telemetryKeyProblem } from './model.js';

test('device secrets are 256-bit, URL-safe, and verified against their hash only', () => {
  const { secret, hash } = newDeviceSecret();
  assert.equal(Buffer.from(secret, 'base64url').length, 32);
  assert.match(secret, /^[A-Za-z0-9_-]+$/);
  assert.ok(secretMatches(secret, hash));
  assert.ok(!secretMatches(`${secret}x`, hash));
  assert.ok(!secretMatches(secret, hashSecret('other')));
  assert.notEqual(newDeviceSecret().secret, secret);
});

test('grants must stay under m2m/ with well-placed wildcards', () => {
  assert.equal(grantProblem('m2m/plant-1/+/alerts'), undefined);
  assert.equal(grantProblem('m2m/#'), undefined);
  assert.match(grantProblem('devices/other/telemetry') ?? '', /m2m/);
  assert.match(grantProblem('m2m/#/x') ?? '', /last level/);
  assert.match(grantProblem('m2m/a#') ?? '', /whole level/);
  assert.match(grantProblem('m2m/a+/b') ?? '', /whole level/);
});

test('telemetry key ranges are checked', () => {
  assert.equal(telemetryKeyProblem({ type: 'number', min: 0, max: 100 }), undefined);
  assert.match(telemetryKeyProblem({ type: 'number', min: 5, max: 1 }) ?? '', /min must not exceed max/);
  assert.match(telemetryKeyProblem({ type: 'string', max: 1 }) ?? '', /only to number/);
});
