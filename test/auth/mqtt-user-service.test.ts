/**
 * The MQTT user service on real SQLite stores and the memory bus: what the
 * broker's auth port relies on (verify), the secret's life, the lastLoginAt
 * throttle, and the bus events that make live sessions follow a change.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { pino } from 'pino';
import { createMqttUserService, type MqttUserService } from '../../src/auth/index.js';
import type { RegistryChange } from '../../src/core/bus.js';
import { createMemoryBus } from '../../src/core/bus-memory.js';
import { createRegistryService } from '../../src/registry/index.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';

const RULES = [{ permission: 'allow', action: 'both', topic: 'plant/%u/#' }] as const;
const ADMIN = { by: 'user:alice', platformAdmin: false };
const T0 = Date.UTC(2026, 0, 1);

let dir: string;
let stores: ReturnType<typeof createSqliteStores>;
let bus: ReturnType<typeof createMemoryBus>;
let users: MqttUserService;
let now = T0;
let seen: RegistryChange[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'plexus-mqtt-users-'));
  const log = pino({ level: 'silent' });
  stores = createSqliteStores(dir, log);
  bus = createMemoryBus(log);
  now = T0;
  const clock = { now: () => now };
  const registry = createRegistryService({
    store: stores.registry,
    bus,
    clock,
    idTaken: (t, id) => users.exists(t, id),
  });
  users = createMqttUserService({
    store: stores.mqttUsers,
    bus,
    clock,
    deviceExists: async (t, id) => (await registry.findDevice(t, id)) !== undefined,
  });
  await registry.createTenant({ id: 'acme' });
  seen = [];
  bus.subscribe('test', 'registry', (c) => {
    seen.push(c);
  });
});
afterEach(async () => {
  await bus.close();
  await stores.close();
  rmSync(dir, { recursive: true, force: true });
});

test('verify: the right secret gives the rules and sys; a wrong one, another tenant or a bad name gives nothing', async () => {
  const { secret } = await users.create('acme', { username: 'node-red', rules: RULES }, ADMIN);
  assert.deepEqual(await users.verify('acme', 'node-red', secret), { rules: RULES, sys: 'tenant' });
  assert.equal(await users.verify('acme', 'node-red', `${secret}x`), undefined);
  assert.equal(await users.verify('acme', 'node-red', ''), undefined);
  assert.equal(await users.verify('default', 'node-red', secret), undefined);
  assert.equal(await users.verify('acme', 'grafana', secret), undefined);
  assert.equal(await users.verify('acme', 'node-red/#', secret), undefined);
});

test('rotation: the new secret works at once, the old one never again; sessions are told', async () => {
  const { secret: old } = await users.create('acme', { username: 'node-red', rules: RULES }, ADMIN);
  const { secret } = await users.rotateSecret('acme', 'node-red', ADMIN);
  assert.notEqual(secret, old);
  assert.equal(await users.verify('acme', 'node-red', old), undefined);
  assert.ok(await users.verify('acme', 'node-red', secret));
  assert.deepEqual(seen, [{ kind: 'mqtt-user-secret-rotated', tenant: 'acme', username: 'node-red' }]);
});

test('lastLoginAt is set on the first login and refreshed at most once a minute', async () => {
  const { secret } = await users.create('acme', { username: 'plc', rules: RULES }, ADMIN);
  const last = async () => (await users.get('acme', 'plc')).lastLoginAt;
  assert.equal(await last(), null);
  await users.verify('acme', 'plc', secret);
  assert.equal(await last(), new Date(T0).toISOString());
  now = T0 + 59_000;
  await users.verify('acme', 'plc', secret);
  assert.equal(await last(), new Date(T0).toISOString(), 'within the minute: no write');
  now = T0 + 60_000;
  await users.verify('acme', 'plc', secret);
  assert.equal(await last(), new Date(T0 + 60_000).toISOString());
  await users.verify('acme', 'plc', 'wrong');
  now = T0 + 200_000;
  await users.verify('acme', 'plc', 'wrong');
  assert.equal(await last(), new Date(T0 + 60_000).toISOString(), 'a failed login is not a login');
});

test('update and delete publish what the broker applies to live sessions', async () => {
  await users.create('acme', { username: 'grafana', rules: RULES }, ADMIN);
  const narrower = [{ permission: 'allow', action: 'subscribe', topic: 'plant/grafana/telemetry' }] as const;
  await users.update('acme', 'grafana', { rules: narrower }, ADMIN);
  await users.update('acme', 'grafana', {}, ADMIN); // nothing to change: nothing published
  await users.delete('acme', 'grafana', ADMIN);
  assert.deepEqual(seen, [
    { kind: 'mqtt-user-updated', tenant: 'acme', username: 'grafana', rules: narrower, sys: 'tenant' },
    { kind: 'mqtt-user-deleted', tenant: 'acme', username: 'grafana' },
  ]);
  assert.equal(await users.exists('acme', 'grafana'), false);
});

test('stored rules keep only the three fields, in order', async () => {
  const extra = [{ topic: 'a/#', action: 'both', permission: 'deny', note: 'x' }] as unknown as typeof RULES;
  await assert.rejects(users.create('acme', { username: 'strict', rules: extra }, ADMIN), {
    code: 'AUTH_MQTT_USER_INVALID',
    message: 'rules[0].note: is not a known field (permission, action, topic)',
  });
  const made = await users.create('acme', { username: 'strict', rules: RULES }, ADMIN);
  assert.equal(JSON.stringify(made.rules), '[{"permission":"allow","action":"both","topic":"plant/%u/#"}]');
});
