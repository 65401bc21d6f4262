import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { assertProblem, type DeviceBody, ids, type List, userClient } from '../helpers/fixtures.js';
import { type Client, client, login } from '../helpers/http.js';

interface AuditItem {
  tenant: string;
  actor: string;
  status: number;
  resourceId: string | null;
}

describe('tenants are isolated from each other', () => {
  let app: TestApp;
  let root: Client;
  let acme: Client;
  let globex: Client;
  let acmeKey: Client;
  let globexKeyId: string;

  before(async () => {
    app = await startTestApp();
    root = await login(app.url, app.admin.username, app.admin.password);
    for (const id of ['acme', 'globex']) {
      const t = await root.post('/api/v1/tenants', { id, name: id.toUpperCase() });
      assert.equal(t.status, 201, JSON.stringify(t.body));
    }
    [acme, globex] = await Promise.all([
      userClient(root, app.url, { username: 'acme-admin', role: 'admin', tenant: 'acme' }),
      userClient(root, app.url, { username: 'globex-admin', role: 'admin', tenant: 'globex' }),
    ]);
    const made = await Promise.all([
      acme.post('/api/v1/devices', { id: 'press-7', name: 'Acme press' }),
      globex.post('/api/v1/devices', { id: 'press-7', name: 'Globex press' }),
      globex.post('/api/v1/groups', { id: 'g-globex' }),
      globex.post('/api/v1/profiles', { id: 'p-globex' }),
    ]);
    assert.deepEqual(
      made.map((r) => r.status),
      [201, 201, 201, 201],
    );
    assert.equal(
      (await globex.post('/api/v1/devices', { id: 'globex-only', groups: ['g-globex'], profile: 'p-globex' }))
        .status,
      201,
    );
    const k = await acme.post<{ key: string }>('/api/v1/apikeys', { name: 'acme-ci', role: 'admin' });
    acmeKey = client(app.url, k.body.key);
    globexKeyId = (
      await globex.post<{ id: string }>('/api/v1/apikeys', { name: 'globex-ci', role: 'viewer' })
    ).body.id;
  });
  after(() => app.stop());

  test('the same device id lives in both tenants; each sees only its own', async () => {
    assert.deepEqual(ids(await acme.get('/api/v1/devices')), ['press-7']);
    assert.deepEqual(ids(await globex.get('/api/v1/devices')), ['globex-only', 'press-7']);
    assert.equal((await acme.get<DeviceBody>('/api/v1/devices/press-7')).body.name, 'Acme press');
    assert.equal((await globex.get<DeviceBody>('/api/v1/devices/press-7')).body.name, 'Globex press');
    assert.deepEqual(ids(await root.get('/api/v1/devices')), [], 'tenant default has none');
    assert.deepEqual(ids(await acme.get('/api/v1/profiles')), ['default']);
    assert.deepEqual(ids(await acme.get('/api/v1/groups')), []);
  });

  test("another tenant's objects answer 404, never 403, and stay untouched", async () => {
    for (const [method, path, body] of [
      ['GET', '/api/v1/devices/globex-only'],
      ['PATCH', '/api/v1/devices/globex-only', { name: 'hijacked' }],
      ['DELETE', '/api/v1/devices/globex-only'],
      ['POST', '/api/v1/devices/globex-only/secrets', {}],
      ['GET', '/api/v1/devices/globex-only/credentials'],
    ] as const) {
      assertProblem(await acme.call(method, path, body), 404, 'REGISTRY_DEVICE_NOT_FOUND');
    }
    assertProblem(await acme.get('/api/v1/groups/g-globex'), 404, 'REGISTRY_GROUP_NOT_FOUND');
    assertProblem(await acme.del('/api/v1/groups/g-globex'), 404, 'REGISTRY_GROUP_NOT_FOUND');
    assertProblem(await acme.get('/api/v1/profiles/p-globex'), 404, 'REGISTRY_PROFILE_NOT_FOUND');
    assertProblem(
      await acme.patch('/api/v1/profiles/p-globex', { name: 'x' }),
      404,
      'REGISTRY_PROFILE_NOT_FOUND',
    );
    assertProblem(
      await acme.post('/api/v1/devices', { id: 'spy', groups: ['g-globex'] }),
      422,
      'REGISTRY_UNKNOWN_REFERENCE',
    );
    assertProblem(
      await acme.post('/api/v1/devices', { id: 'spy', profile: 'p-globex' }),
      422,
      'REGISTRY_UNKNOWN_REFERENCE',
    );
    assertProblem(await acme.get('/api/v1/devices/spy'), 404, 'REGISTRY_DEVICE_NOT_FOUND');

    const g = await globex.get<DeviceBody>('/api/v1/devices/globex-only');
    assert.equal(g.body.name, 'globex-only');
    assert.equal(
      (await globex.get<List<unknown>>('/api/v1/devices/globex-only/credentials')).body.items.length,
      1,
    );
    assert.equal((await globex.get('/api/v1/groups/g-globex')).status, 200);
  });

  test('Plexus-Tenant from a tenant admin answers 404 like a tenant that does not exist', async () => {
    const other = await acme.get('/api/v1/devices', { 'plexus-tenant': 'globex' });
    const none = await acme.get('/api/v1/devices', { 'plexus-tenant': 'no-such-tenant' });
    const p = assertProblem(other, 404, 'REGISTRY_TENANT_NOT_FOUND');
    assertProblem(none, 404, 'REGISTRY_TENANT_NOT_FOUND');
    assert.equal(
      p.detail.replace('globex', 'X'),
      (none.body as { detail: string }).detail.replace('no-such-tenant', 'X'),
    );
    assertProblem(
      await acme.del('/api/v1/devices/press-7', { 'plexus-tenant': 'globex' }),
      404,
      'REGISTRY_TENANT_NOT_FOUND',
    );
    assert.equal((await globex.get('/api/v1/devices/press-7')).status, 200);
    assert.equal(
      (await acme.get('/api/v1/devices', { 'plexus-tenant': 'acme' })).status,
      200,
      'naming its own tenant is fine',
    );
  });

  test("a tenant admin cannot see or change another tenant's users, API keys or audit", async () => {
    const users = await acme.get<List<{ username: string }>>('/api/v1/users');
    assert.deepEqual(
      users.body.items.map((u) => u.username),
      ['acme-admin'],
    );
    assertProblem(await acme.get('/api/v1/users/globex-admin'), 404, 'AUTH_USER_NOT_FOUND');
    assertProblem(
      await acme.patch('/api/v1/users/globex-admin', { password: 'taken-over-1' }),
      404,
      'AUTH_USER_NOT_FOUND',
    );
    assertProblem(await acme.del('/api/v1/users/globex-admin'), 404, 'AUTH_USER_NOT_FOUND');
    for (const tenant of ['globex', 'no-such-tenant']) {
      const r = await acme.post('/api/v1/users', {
        username: `spy-${tenant}`,
        password: 'password-1',
        role: 'admin',
        tenant,
      });
      // The same answer whether the tenant exists or not: nothing leaks.
      assertProblem(r, 403, 'AUTH_FORBIDDEN');
    }
    assertProblem(await root.get('/api/v1/users/spy-globex'), 404, 'AUTH_USER_NOT_FOUND');

    const keys = await acme.get<List<{ id: string; name: string }>>('/api/v1/apikeys');
    assert.deepEqual(
      keys.body.items.map((k) => k.name),
      ['acme-ci'],
    );
    assertProblem(await acme.get(`/api/v1/apikeys/${globexKeyId}`), 404, 'AUTH_APIKEY_NOT_FOUND');
    assertProblem(await acme.del(`/api/v1/apikeys/${globexKeyId}`), 404, 'AUTH_APIKEY_NOT_FOUND');
    assert.equal((await globex.get(`/api/v1/apikeys/${globexKeyId}`)).status, 200);

    const audit = await acme.get<List<AuditItem>>('/api/v1/audit?limit=1000');
    assert.equal(audit.status, 200);
    assert.ok(audit.body.items.length > 0);
    assert.ok(
      audit.body.items.every((a) => a.tenant === 'acme'),
      'only acme entries',
    );
    assert.ok(!audit.body.items.some((a) => a.actor === 'user:globex-admin'), "none of globex's actions");
    // acme's own refused attempts on globex ids are in acme's trail, as failures.
    assert.ok(audit.body.items.filter((a) => a.resourceId === 'globex-only').every((a) => a.status === 404));
    const globexAudit = await globex.get<List<AuditItem>>('/api/v1/audit?resourceId=globex-only');
    assert.ok(globexAudit.body.items.length > 0, "globex's own audit has it");
  });

  test("the platform admin acts in a tenant with Plexus-Tenant and sees that tenant's objects", async () => {
    const as = { 'plexus-tenant': 'acme' };
    const list = await root.get<List<DeviceBody>>('/api/v1/devices', as);
    assert.deepEqual(
      list.body.items.map((d) => [d.id, d.name]),
      [['press-7', 'Acme press']],
    );
    const me = await root.get('/api/v1/auth/me', as);
    assert.equal(me.body.actingTenant, 'acme');
    assert.equal((await root.post('/api/v1/devices', { id: 'by-root' }, as)).status, 201);
    assert.deepEqual(ids(await acme.get('/api/v1/devices')), ['by-root', 'press-7']);
    assert.deepEqual(ids(await globex.get('/api/v1/devices?q=by-root')), []);
    const users = await root.get<List<{ username: string }>>('/api/v1/users', as);
    assert.deepEqual(
      users.body.items.map((u) => u.username),
      ['acme-admin'],
    );
  });

  test('an acme API key cannot touch globex', async () => {
    assert.deepEqual(ids(await acmeKey.get('/api/v1/devices')), ['by-root', 'press-7']);
    assertProblem(await acmeKey.get('/api/v1/devices/globex-only'), 404, 'REGISTRY_DEVICE_NOT_FOUND');
    assertProblem(await acmeKey.del('/api/v1/devices/globex-only'), 404, 'REGISTRY_DEVICE_NOT_FOUND');
    assertProblem(
      await acmeKey.get('/api/v1/devices', { 'plexus-tenant': 'globex' }),
      404,
      'REGISTRY_TENANT_NOT_FOUND',
    );
    assertProblem(
      await acmeKey.patch('/api/v1/devices/press-7', { name: 'x' }, { 'plexus-tenant': 'globex' }),
      404,
      'REGISTRY_TENANT_NOT_FOUND',
    );
    assertProblem(await acmeKey.del(`/api/v1/apikeys/${globexKeyId}`), 404, 'AUTH_APIKEY_NOT_FOUND');
    assert.equal((await globex.get<DeviceBody>('/api/v1/devices/press-7')).body.name, 'Globex press');
    assert.equal((await globex.get('/api/v1/devices/globex-only')).status, 200);
  });

  test('tenant default cannot be deleted', async () => {
    assertProblem(await root.del('/api/v1/tenants/default'), 409, 'REGISTRY_TENANT_PROTECTED');
    assert.equal((await root.get('/api/v1/tenants/default')).status, 200);
  });

  test('deleting acme removes its devices, users and keys, and leaves globex alone', async () => {
    assert.equal((await root.del('/api/v1/tenants/acme')).status, 204);
    assertProblem(await root.get('/api/v1/tenants/acme'), 404, 'REGISTRY_TENANT_NOT_FOUND');
    assertProblem(await root.del('/api/v1/tenants/acme'), 404, 'REGISTRY_TENANT_NOT_FOUND');
    assertProblem(await acme.get('/api/v1/devices'), 401, 'AUTH_INVALID_CREDENTIALS');
    assertProblem(await acmeKey.get('/api/v1/devices'), 401, 'AUTH_INVALID_CREDENTIALS');
    const relogin = await client(app.url).post('/api/v1/auth/login', {
      username: 'acme-admin',
      password: 'acme-admin-password',
    });
    assertProblem(relogin, 401, 'AUTH_INVALID_CREDENTIALS');
    assertProblem(
      await root.get('/api/v1/devices', { 'plexus-tenant': 'acme' }),
      404,
      'REGISTRY_TENANT_NOT_FOUND',
    );
    assertProblem(await root.get('/api/v1/users/acme-admin'), 404, 'AUTH_USER_NOT_FOUND');

    // A new tenant under the old id starts empty: nothing of the old one survived.
    assert.equal((await root.post('/api/v1/tenants', { id: 'acme' })).status, 201);
    const as = { 'plexus-tenant': 'acme' };
    assert.deepEqual(ids(await root.get('/api/v1/devices', as)), []);
    assert.deepEqual((await root.get<List<unknown>>('/api/v1/users', as)).body.items, []);
    assert.deepEqual((await root.get<List<unknown>>('/api/v1/apikeys', as)).body.items, []);
    assert.deepEqual(ids(await root.get('/api/v1/profiles', as)), ['default']);

    assert.deepEqual(ids(await globex.get('/api/v1/devices')), ['globex-only', 'press-7']);
    assert.equal((await globex.get('/api/v1/users/globex-admin')).status, 200);
    assert.equal((await root.get('/api/v1/tenants')).status, 200);
  });
});
