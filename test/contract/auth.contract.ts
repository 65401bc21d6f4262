import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Session, StoredApiKey, StoredUser } from '../../src/auth/model.js';
import type { Stores } from '../../src/store/index.js';
import { type ContractOptions, pagedIds, profile, rejectsConflict, tenant } from './registry.contract.js';

const T0 = '2024-01-01T00:00:00.000Z';
const hash = (s: string) => createHash('sha256').update(s).digest();
const user = (username: string, over: Partial<StoredUser> = {}): StoredUser => ({
  username,
  tenant: 'acme',
  role: 'viewer',
  platformAdmin: false,
  passwordHash: `scrypt$${username}`,
  createdAt: T0,
  updatedAt: T0,
  lastLoginAt: null,
  ...over,
});
const session = (token: string, username: string, expiresAt: number): Session => ({
  tokenHash: hash(token),
  username,
  createdAt: T0,
  expiresAt,
});
const key = (id: string, over: Partial<StoredApiKey> = {}): StoredApiKey => ({
  id,
  tenant: 'acme',
  name: `key ${id}`,
  role: 'operator',
  keyHash: hash(id),
  createdBy: 'alice',
  createdAt: T0,
  lastUsedAt: null,
  ...over,
});
const publicKey = (k: StoredApiKey) => {
  const { keyHash: _hash, ...rest } = k;
  return rest;
};

export function runAuthContract(opts: ContractOptions): void {
  describe(`AuthStore contract: ${opts.name}`, opts.skip === undefined ? {} : { skip: opts.skip }, () => {
    let ctx: { stores: Stores; close(): Promise<void> };
    let s: Stores['auth'];
    beforeEach(async () => {
      ctx = await opts.create();
      s = ctx.stores.auth;
      await ctx.stores.registry.insertTenant(tenant('acme'), profile('default'));
      await ctx.stores.registry.insertTenant(tenant('globex'), profile('default'));
    });
    afterEach(() => ctx.close());

    const byName = (u: { username: string }) => u.username;

    test('a user round-trips; unknown is undefined; a duplicate username is a conflict', async () => {
      const alice = user('alice', { role: 'admin', platformAdmin: true, lastLoginAt: T0 });
      await s.insertUser(alice);
      assert.deepEqual(await s.getUser('alice'), alice);
      assert.equal(await s.getUser('bob'), undefined);
      await rejectsConflict(s.insertUser(user('alice', { tenant: 'globex' })));
      assert.deepEqual(await s.getUser('alice'), alice);
    });

    test('listUsers pages over every tenant, or one', async () => {
      for (const [n, t] of [
        ['dave', 'acme'],
        ['bob', 'globex'],
        ['erin', 'globex'],
        ['alice', 'acme'],
        ['carol', 'acme'],
      ] as const)
        await s.insertUser(user(n, { tenant: t }));
      const all = (after: string | undefined) => s.listUsers(undefined, { limit: 2, after });
      assert.deepEqual(await pagedIds(2, all, byName), [['alice', 'bob'], ['carol', 'dave'], ['erin']]);
      const acme = (after: string | undefined) => s.listUsers('acme', { limit: 2, after });
      assert.deepEqual(await pagedIds(2, acme, byName), [['alice', 'carol'], ['dave']]);
      const globex = (after: string | undefined) => s.listUsers('globex', { limit: 2, after });
      assert.deepEqual(await pagedIds(2, globex, byName), [['bob', 'erin']]);
      assert.deepEqual((await s.listUsers('initech', { limit: 10 })).items, []);
    });

    test('updateUser replaces role, admin flag, password hash and times', async () => {
      await s.insertUser(user('alice'));
      const changed = user('alice', {
        role: 'admin',
        platformAdmin: true,
        passwordHash: 'scrypt$new',
        updatedAt: '2024-02-01T00:00:00.000Z',
        lastLoginAt: '2024-02-02T00:00:00.000Z',
      });
      await s.updateUser(changed);
      assert.deepEqual(await s.getUser('alice'), changed);
    });

    test('countPlatformAdmins counts across tenants', async () => {
      assert.equal(await s.countPlatformAdmins(), 0);
      await s.insertUser(user('root', { platformAdmin: true }));
      await s.insertUser(user('ops', { tenant: 'globex', platformAdmin: true }));
      await s.insertUser(user('alice', { role: 'admin' }));
      assert.equal(await s.countPlatformAdmins(), 2);
      await s.updateUser(user('ops', { tenant: 'globex' }));
      assert.equal(await s.countPlatformAdmins(), 1);
      await s.deleteUser('root');
      assert.equal(await s.countPlatformAdmins(), 0);
    });

    test('deleteUser removes the user and their sessions', async () => {
      await s.insertUser(user('alice'));
      await s.insertUser(user('bob'));
      await s.insertSession(session('a1', 'alice', 2e12));
      await s.insertSession(session('b1', 'bob', 2e12));
      assert.equal(await s.deleteUser('alice'), true);
      assert.equal(await s.deleteUser('alice'), false);
      assert.equal(await s.getUser('alice'), undefined);
      assert.equal(await s.getSession(hash('a1')), undefined);
      assert.deepEqual(await s.getSession(hash('b1')), session('b1', 'bob', 2e12));
    });

    test('sessions: insert, get by hash, delete one, delete all of a user', async () => {
      await s.insertUser(user('alice'));
      await s.insertUser(user('bob'));
      for (const t of ['a1', 'a2']) await s.insertSession(session(t, 'alice', 2e12));
      await s.insertSession(session('b1', 'bob', 2e12));
      const got = await s.getSession(hash('a1'));
      assert.deepEqual(got, session('a1', 'alice', 2e12));
      assert.ok(got?.tokenHash.equals(hash('a1')));
      assert.equal(await s.getSession(hash('nope')), undefined);
      await s.deleteSession(hash('a1'));
      assert.equal(await s.getSession(hash('a1')), undefined);
      assert.ok(await s.getSession(hash('a2')));
      await s.deleteSessionsOf('alice');
      assert.equal(await s.getSession(hash('a2')), undefined);
      assert.ok(await s.getSession(hash('b1')));
    });

    test('deleteExpiredSessions removes expired ones, returns the count, keeps the rest', async () => {
      await s.insertUser(user('alice'));
      const now = 1_700_000_000_000;
      await s.insertSession(session('old1', 'alice', now - 60_000));
      await s.insertSession(session('old2', 'alice', now - 1));
      await s.insertSession(session('live', 'alice', now + 60_000));
      assert.equal(await s.deleteExpiredSessions(now), 2);
      assert.equal(await s.getSession(hash('old1')), undefined);
      assert.equal(await s.getSession(hash('old2')), undefined);
      assert.deepEqual(await s.getSession(hash('live')), session('live', 'alice', now + 60_000));
      assert.equal(await s.deleteExpiredSessions(now), 0);
    });

    test('API keys: by hash with its hash, by id tenant-scoped without it', async () => {
      const k = key('k1', { role: 'admin' });
      await s.insertApiKey(k);
      const stored = await s.getApiKeyByHash(hash('k1'));
      assert.deepEqual(stored, k);
      assert.ok(stored?.keyHash.equals(hash('k1')));
      assert.equal(await s.getApiKeyByHash(hash('nope')), undefined);
      const pub = await s.getApiKey('acme', 'k1');
      assert.deepEqual(pub, publicKey(k));
      assert.ok(pub && !('keyHash' in pub), 'getApiKey must not expose keyHash');
      assert.equal(await s.getApiKey('globex', 'k1'), undefined);
      assert.equal(await s.getApiKey('acme', 'nope'), undefined);
      await rejectsConflict(s.insertApiKey(key('k1', { keyHash: hash('other') })));
    });

    test('listApiKeys pages one tenant by id and never includes keyHash', async () => {
      for (const id of ['k3', 'k1', 'k2']) await s.insertApiKey(key(id));
      await s.insertApiKey(key('k0', { tenant: 'globex' }));
      const fetch = (after: string | undefined) => s.listApiKeys('acme', { limit: 2, after });
      assert.deepEqual(await pagedIds(2, fetch, (k) => k.id), [['k1', 'k2'], ['k3']]);
      const page = await s.listApiKeys('acme', { limit: 10 });
      assert.deepEqual(
        page.items,
        ['k1', 'k2', 'k3'].map((id) => publicKey(key(id))),
      );
      for (const k of page.items) assert.ok(!('keyHash' in k), 'listApiKeys must not expose keyHash');
      assert.deepEqual(
        (await s.listApiKeys('globex', { limit: 10 })).items.map((k) => k.id),
        ['k0'],
      );
    });

    test('deleteApiKey is tenant-scoped; touchApiKey sets lastUsedAt', async () => {
      await s.insertApiKey(key('k1'));
      await s.insertApiKey(key('k2'));
      assert.equal(await s.deleteApiKey('globex', 'k1'), false);
      assert.ok(await s.getApiKey('acme', 'k1'));
      assert.equal(await s.deleteApiKey('acme', 'k1'), true);
      assert.equal(await s.deleteApiKey('acme', 'k1'), false);
      assert.equal(await s.getApiKeyByHash(hash('k1')), undefined);
      await s.touchApiKey('k2', '2024-08-01T00:00:00.000Z');
      assert.equal((await s.getApiKey('acme', 'k2'))?.lastUsedAt, '2024-08-01T00:00:00.000Z');
      assert.equal((await s.getApiKeyByHash(hash('k2')))?.lastUsedAt, '2024-08-01T00:00:00.000Z');
    });

    test('deleting a tenant removes its users, their sessions and its keys', async () => {
      await s.insertUser(user('alice'));
      await s.insertUser(user('bob', { tenant: 'globex' }));
      await s.insertSession(session('a1', 'alice', 2e12));
      await s.insertSession(session('b1', 'bob', 2e12));
      await s.insertApiKey(key('k1'));
      await s.insertApiKey(key('k2', { tenant: 'globex' }));
      assert.equal(await ctx.stores.registry.deleteTenant('acme'), true);
      assert.equal(await s.getUser('alice'), undefined);
      assert.equal(await s.getSession(hash('a1')), undefined);
      assert.equal(await s.getApiKeyByHash(hash('k1')), undefined);
      assert.deepEqual((await s.listUsers(undefined, { limit: 10 })).items.map(byName), ['bob']);
      assert.ok(await s.getSession(hash('b1')));
      assert.ok(await s.getApiKey('globex', 'k2'));
    });
  });
}
