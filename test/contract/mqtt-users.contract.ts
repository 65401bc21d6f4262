import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { MqttUser, StoredMqttUser } from '../../src/auth/mqtt-user-model.js';
import type { Stores } from '../../src/store/index.js';
import { type ContractOptions, pagedIds, profile, rejectsConflict, tenant } from './registry.contract.js';

const T0 = '2024-01-01T00:00:00.000Z';
const T1 = '2024-02-01T00:00:00.000Z';
const hash = (s: string) => createHash('sha256').update(s).digest();
const user = (username: string, over: Partial<StoredMqttUser> = {}): StoredMqttUser => ({
  tenant: 'acme',
  username,
  rules: [
    { permission: 'deny', action: 'subscribe', topic: 'plant/secret/#' },
    { permission: 'allow', action: 'both', topic: 'plant/%u/#' },
  ],
  sys: 'tenant',
  secretHash: hash(username),
  createdBy: 'user:alice',
  createdAt: T0,
  updatedAt: T0,
  lastLoginAt: null,
  ...over,
});
const publicUser = ({ secretHash: _h, ...rest }: StoredMqttUser): MqttUser => rest;

/** MqttUserStore: what the MQTT user service relies on, the same on every backend. */
export function runMqttUserContract(opts: ContractOptions): void {
  describe(`MqttUserStore contract: ${opts.name}`, opts.skip === undefined ? {} : { skip: opts.skip }, () => {
    let ctx: { stores: Stores; close(): Promise<void> };
    let s: Stores['mqttUsers'];
    beforeEach(async () => {
      ctx = await opts.create();
      s = ctx.stores.mqttUsers;
      await ctx.stores.registry.insertTenant(tenant('acme'), profile('default'));
      await ctx.stores.registry.insertTenant(tenant('globex'), profile('default'));
    });
    afterEach(() => ctx.close());

    test('a user round-trips with its rules in order and its hash; unknown is undefined', async () => {
      const u = user('node-red', { sys: 'platform', lastLoginAt: T1 });
      await s.insert(u);
      const got = await s.get('acme', 'node-red');
      assert.deepEqual(got, u);
      assert.ok(got?.secretHash.equals(hash('node-red')));
      assert.equal(await s.get('acme', 'grafana'), undefined);
      assert.equal(await s.get('globex', 'node-red'), undefined, 'scoped by tenant');
    });

    test('(tenant, username) is the key: a duplicate conflicts, the same name in another tenant does not', async () => {
      await s.insert(user('node-red'));
      await rejectsConflict(s.insert(user('node-red', { secretHash: hash('other') })));
      await s.insert(user('node-red', { tenant: 'globex', secretHash: hash('g') }));
      assert.ok((await s.get('acme', 'node-red'))?.secretHash.equals(hash('node-red')));
      assert.ok((await s.get('globex', 'node-red'))?.secretHash.equals(hash('g')));
    });

    test('names are case-sensitive and ordered byte-wise, as on every backend', async () => {
      for (const n of ['b', 'B', 'a.1', 'a-1', 'A', 'a_1']) await s.insert(user(n));
      const page = await s.list('acme', { limit: 10 });
      assert.deepEqual(
        page.items.map((u) => u.username),
        ['A', 'B', 'a-1', 'a.1', 'a_1', 'b'],
      );
    });

    test('list pages one tenant by username and never includes the hash', async () => {
      for (const n of ['carol', 'alice', 'erin', 'bob', 'dave']) await s.insert(user(n));
      await s.insert(user('aaron', { tenant: 'globex' }));
      const fetch = (after: string | undefined) => s.list('acme', { limit: 2, after });
      assert.deepEqual(await pagedIds(2, fetch, (u) => u.username), [
        ['alice', 'bob'],
        ['carol', 'dave'],
        ['erin'],
      ]);
      const all = await s.list('acme', { limit: 10 });
      assert.deepEqual(
        all.items,
        ['alice', 'bob', 'carol', 'dave', 'erin'].map((n) => publicUser(user(n))),
      );
      for (const u of all.items) assert.ok(!('secretHash' in u), 'list must not expose secretHash');
      assert.deepEqual(
        (await s.list('globex', { limit: 10 })).items.map((u) => u.username),
        ['aaron'],
      );
      assert.deepEqual((await s.list('initech', { limit: 10 })).items, []);
    });

    test('update replaces rules, sys, hash and updatedAt, keeps the rest; false when gone', async () => {
      await s.insert(user('node-red', { lastLoginAt: T0 }));
      const next = user('node-red', {
        rules: [{ permission: 'allow', action: 'subscribe', topic: 'devices/+/telemetry' }],
        sys: 'platform',
        secretHash: hash('rotated'),
        updatedAt: T1,
        lastLoginAt: T0,
      });
      assert.equal(await s.update(next), true);
      assert.deepEqual(await s.get('acme', 'node-red'), next);
      assert.equal(await s.update(user('ghost')), false);
      assert.equal(await s.update(user('node-red', { tenant: 'globex' })), false, 'scoped by tenant');
      assert.equal(await s.get('globex', 'node-red'), undefined);
    });

    test('an empty rule list round-trips (a user that may do nothing yet)', async () => {
      await s.insert(user('idle', { rules: [] }));
      assert.deepEqual((await s.get('acme', 'idle'))?.rules, []);
    });

    test('delete is tenant-scoped; touchLogin sets lastLoginAt only', async () => {
      await s.insert(user('node-red'));
      await s.insert(user('grafana'));
      assert.equal(await s.delete('globex', 'node-red'), false);
      assert.equal(await s.delete('acme', 'node-red'), true);
      assert.equal(await s.delete('acme', 'node-red'), false);
      assert.equal(await s.get('acme', 'node-red'), undefined);
      await s.touchLogin('acme', 'grafana', T1);
      assert.deepEqual(await s.get('acme', 'grafana'), user('grafana', { lastLoginAt: T1 }));
      await s.touchLogin('acme', 'ghost', T1); // nothing to touch: no error
    });

    test('deleting a tenant removes its MQTT users and no other', async () => {
      await s.insert(user('node-red'));
      await s.insert(user('node-red', { tenant: 'globex' }));
      assert.equal(await ctx.stores.registry.deleteTenant('acme'), true);
      assert.equal(await s.get('acme', 'node-red'), undefined);
      assert.deepEqual((await s.list('acme', { limit: 10 })).items, []);
      assert.ok(await s.get('globex', 'node-red'));
    });
  });
}
