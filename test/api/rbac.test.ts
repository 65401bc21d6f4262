import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { assertProblem, type DeviceBody, ids, userClient } from '../helpers/fixtures.js';
import { type Client, client, login } from '../helpers/http.js';

type Call = readonly [method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown];

/** Asserts every call is refused with 403 AUTH_FORBIDDEN naming the role. */
async function refused(c: Client, role: string, calls: readonly Call[]): Promise<void> {
  for (const [method, path, body] of calls) {
    const p = assertProblem(await c.call(method, path, body), 403, 'AUTH_FORBIDDEN');
    assert.match(p.detail, new RegExp(role), `${method} ${path}`);
  }
}

async function allowed(c: Client, calls: readonly (readonly [...Call, number])[]): Promise<void> {
  for (const [method, path, body, status] of calls) {
    const r = await c.call(method, path, body);
    assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
  }
}

describe('roles: viewer, operator, admin, platform admin', () => {
  let app: TestApp;
  let root: Client;
  let viewer: Client;
  let operator: Client;
  let tenantAdmin: Client;

  before(async () => {
    app = await startTestApp();
    root = await login(app.url, app.admin.username, app.admin.password);
    [viewer, operator, tenantAdmin] = await Promise.all([
      userClient(root, app.url, { username: 'vic', role: 'viewer' }),
      userClient(root, app.url, { username: 'otto', role: 'operator' }),
      userClient(root, app.url, { username: 'ada', role: 'admin' }),
    ]);
    assert.equal((await root.post('/api/v1/devices', { id: 'd-1', name: 'first' })).status, 201);
    assert.equal((await root.post('/api/v1/groups', { id: 'g-1' })).status, 201);
  });
  after(() => app.stop());

  test('a viewer reads the registry but changes nothing', async () => {
    for (const path of [
      '/api/v1/devices',
      '/api/v1/devices/d-1',
      '/api/v1/profiles',
      '/api/v1/groups',
      '/api/v1/devices/d-1/credentials',
    ]) {
      assert.equal((await viewer.get(path)).status, 200, path);
    }
    await refused(viewer, 'viewer', [
      ['POST', '/api/v1/devices', { id: 'v-1' }],
      ['PATCH', '/api/v1/devices/d-1', { name: 'renamed' }],
      ['DELETE', '/api/v1/devices/d-1'],
      ['POST', '/api/v1/devices/d-1/secrets', {}],
      ['POST', '/api/v1/groups', { id: 'v-g' }],
      ['DELETE', '/api/v1/groups/g-1'],
      ['POST', '/api/v1/profiles', { id: 'v-p' }],
      ['PATCH', '/api/v1/profiles/default', { name: 'x' }],
      ['DELETE', '/api/v1/profiles/default'],
      ['GET', '/api/v1/users'],
      ['POST', '/api/v1/users', { username: 'v-u', password: 'password-1', role: 'viewer' }],
      ['DELETE', '/api/v1/users/otto'],
      ['GET', '/api/v1/apikeys'],
      ['POST', '/api/v1/apikeys', { name: 'v', role: 'viewer' }],
      ['GET', '/api/v1/audit'],
      ['GET', '/api/v1/tenants'],
    ]);
    const d = await root.get<DeviceBody>('/api/v1/devices/d-1');
    assert.equal(d.body.name, 'first', 'nothing was changed');
    assert.deepEqual(ids(await root.get('/api/v1/devices?q=v-1')), []);
    assert.deepEqual(ids(await root.get('/api/v1/groups')), ['g-1']);
    assert.deepEqual(ids(await root.get('/api/v1/profiles')), ['default']);
  });

  test('an operator runs devices, credentials and groups, but not profiles, users, keys or audit', async () => {
    await allowed(operator, [
      ['POST', '/api/v1/devices', { id: 'op-1', groups: ['g-1'] }, 201],
      ['PATCH', '/api/v1/devices/op-1', { labels: { by: 'operator' } }, 200],
      ['POST', '/api/v1/devices/op-1/secrets', { revokeOthers: true }, 201],
      ['POST', '/api/v1/groups', { id: 'op-g' }, 201],
      ['PATCH', '/api/v1/groups/op-g', { name: 'Operators' }, 200],
      ['DELETE', '/api/v1/groups/op-g', undefined, 204],
      ['DELETE', '/api/v1/devices/op-1', undefined, 204],
    ]);
    await refused(operator, 'operator', [
      ['POST', '/api/v1/profiles', { id: 'op-p' }],
      ['PATCH', '/api/v1/profiles/default', { name: 'x' }],
      ['GET', '/api/v1/users'],
      ['POST', '/api/v1/users', { username: 'op-u', password: 'password-1', role: 'viewer' }],
      ['GET', '/api/v1/apikeys'],
      ['POST', '/api/v1/apikeys', { name: 'op', role: 'viewer' }],
      ['GET', '/api/v1/audit'],
      ['GET', '/api/v1/tenants'],
    ]);
  });

  test('an operator cannot mint an admin (user or API key)', async () => {
    await refused(operator, 'operator', [
      ['POST', '/api/v1/apikeys', { name: 'escalate', role: 'admin' }],
      ['POST', '/api/v1/users', { username: 'mallory', password: 'password-1', role: 'admin' }],
      ['PATCH', '/api/v1/users/otto', { role: 'admin' }],
    ]);
    assertProblem(await root.get('/api/v1/users/mallory'), 404, 'AUTH_USER_NOT_FOUND');
    assert.deepEqual(ids(await root.get('/api/v1/apikeys')), []);
    assert.equal((await root.get('/api/v1/users/otto')).body.role, 'operator');
  });

  test('a tenant admin does everything in its tenant except tenants', async () => {
    await allowed(tenantAdmin, [
      ['POST', '/api/v1/profiles', { id: 'ad-p' }, 201],
      ['PATCH', '/api/v1/profiles/ad-p', { retentionDays: 7 }, 200],
      ['DELETE', '/api/v1/profiles/ad-p', undefined, 204],
      ['POST', '/api/v1/devices', { id: 'ad-1' }, 201],
      ['GET', '/api/v1/users', undefined, 200],
      ['POST', '/api/v1/users', { username: 'ad-u', password: 'password-1', role: 'admin' }, 201],
      ['DELETE', '/api/v1/users/ad-u', undefined, 204],
      ['GET', '/api/v1/apikeys', undefined, 200],
      ['GET', '/api/v1/audit', undefined, 200],
    ]);
    const key = await tenantAdmin.post<{ id: string; key: string }>('/api/v1/apikeys', {
      name: 'ci',
      role: 'admin',
    });
    assert.equal(key.status, 201);
    assert.equal((await tenantAdmin.del(`/api/v1/apikeys/${key.body.id}`)).status, 204);
    await refused(tenantAdmin, 'admin', [
      ['GET', '/api/v1/tenants'],
      ['POST', '/api/v1/tenants', { id: 'rogue' }],
      ['GET', '/api/v1/tenants/default'],
      ['PATCH', '/api/v1/tenants/default', { name: 'mine' }],
      ['DELETE', '/api/v1/tenants/default'],
    ]);
    assertProblem(await root.get('/api/v1/tenants/rogue'), 404, 'REGISTRY_TENANT_NOT_FOUND');
    assert.equal((await root.get('/api/v1/tenants')).status, 200, 'the platform admin may');
  });

  test('an API key acts with its role, not more', async () => {
    const k = await root.post<{ key: string }>('/api/v1/apikeys', { name: 'ops', role: 'viewer' });
    const key = client(app.url, k.body.key);
    assert.equal((await key.get('/api/v1/devices')).status, 200);
    await refused(key, 'viewer', [
      ['POST', '/api/v1/devices', { id: 'k-1' }],
      ['POST', '/api/v1/apikeys', { name: 'more', role: 'admin' }],
    ]);
  });

  test('a user reads themselves and changes their own password, but not their role', async () => {
    const me = await viewer.get('/api/v1/users/vic');
    assert.equal(me.status, 200);
    assert.equal(me.body.role, 'viewer');
    assertProblem(await viewer.get('/api/v1/users/otto'), 403, 'AUTH_FORBIDDEN');
    await refused(viewer, 'viewer', [
      ['PATCH', '/api/v1/users/vic', { role: 'admin' }],
      ['PATCH', '/api/v1/users/vic', { role: 'viewer', password: 'new-password-1' }],
      ['PATCH', '/api/v1/users/otto', { password: 'new-password-1' }],
    ]);
    assert.equal((await root.get('/api/v1/users/vic')).body.role, 'viewer');

    const ch = await viewer.patch('/api/v1/users/vic', { password: 'vic-new-password' });
    assert.equal(ch.status, 200, JSON.stringify(ch.body));
    assert.equal(ch.body.role, 'viewer');
    assertProblem(
      await client(app.url).post('/api/v1/auth/login', { username: 'vic', password: 'vic-password' }),
      401,
      'AUTH_INVALID_CREDENTIALS',
    );
    const fresh = await login(app.url, 'vic', 'vic-new-password');
    assert.equal((await fresh.get('/api/v1/devices')).status, 200);
  });

  // Last: if the take-over succeeds it ends the platform admin's sessions.
  test('a tenant admin cannot take over the platform admin account', async () => {
    const r = await tenantAdmin.patch('/api/v1/users/admin', { password: 'taken-over-password' });
    assert.ok(
      [403, 404].includes(r.status),
      `expected 403 or 404, got ${r.status} ${JSON.stringify(r.body)}`,
    );
    // The platform admin's password still works (the take-over did not happen).
    const again = await client(app.url).post('/api/v1/auth/login', app.admin);
    assert.equal(again.status, 200, 'platform admin password unchanged');
  });
});
