import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { assertProblem, type List } from '../helpers/fixtures.js';
import { type Client, client, login } from '../helpers/http.js';

interface LoginReply {
  token: string;
  expiresAt: string;
  user: Record<string, unknown>;
}

interface KeyBody {
  id: string;
  name: string;
  role: string;
  tenant: string;
  createdBy: string;
  lastUsedAt: string | null;
  key?: string;
}

describe('operator authentication', () => {
  let app: TestApp;
  let admin: Client;
  let anon: Client;

  before(async () => {
    // A high failure limit: this file makes many deliberate failures from 127.0.0.1.
    app = await startTestApp({ env: { PLEXUS_AUTH_MAX_FAILURES: '1000' } });
    admin = await login(app.url, app.admin.username, app.admin.password);
    anon = client(app.url);
  });
  after(() => app.stop());

  test('login answers a session token that authenticates requests', async () => {
    const r = await anon.post<LoginReply>('/api/v1/auth/login', app.admin);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.match(r.body.token, /^pxs_[A-Za-z0-9_-]{43}$/);
    assert.ok(Date.parse(r.body.expiresAt) > Date.now());
    assert.equal(r.body.user.username, 'admin');
    assert.equal(r.body.user.platformAdmin, true);
    assert.equal(JSON.stringify(r.body).includes('scrypt'), false, 'no password hash');
    const me = await client(app.url, r.body.token).get('/api/v1/auth/me');
    assert.equal(me.status, 200);
    assert.deepEqual(me.body, {
      kind: 'user',
      id: 'admin',
      tenant: 'default',
      role: 'admin',
      platformAdmin: true,
      actingTenant: 'default',
    });
    assert.equal((await client(app.url, r.body.token).get('/api/v1/devices')).status, 200);
  });

  test('a wrong password and an unknown user get the same 401, with no hint which', async () => {
    const wrong = await anon.post('/api/v1/auth/login', { username: 'admin', password: 'not-the-password' });
    const unknown = await anon.post('/api/v1/auth/login', {
      username: 'nobody-here',
      password: 'not-the-password',
    });
    const p = assertProblem(wrong, 401, 'AUTH_INVALID_CREDENTIALS');
    assertProblem(unknown, 401, 'AUTH_INVALID_CREDENTIALS');
    assert.deepEqual(unknown.body, wrong.body);
    assert.doesNotMatch(p.detail, /nobody|exist|unknown/i);
  });

  test('logout ends that session only', async () => {
    const one = await login(app.url, app.admin.username, app.admin.password);
    const two = await login(app.url, app.admin.username, app.admin.password);
    assert.equal((await one.post('/api/v1/auth/logout')).status, 204);
    assertProblem(await one.get('/api/v1/devices'), 401, 'AUTH_INVALID_CREDENTIALS');
    assert.equal((await two.get('/api/v1/devices')).status, 200);
  });

  test('no or a non-Bearer Authorization header gets 401 with WWW-Authenticate', async () => {
    for (const headers of [{}, { authorization: 'Basic YWRtaW46eA==' }, { authorization: 'Bearer' }]) {
      const r = await anon.get('/api/v1/devices', headers);
      assertProblem(r, 401, 'AUTH_UNAUTHENTICATED');
      assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer realm="plexus"/);
    }
  });

  test('a garbage or unknown bearer token gets 401 with WWW-Authenticate (RFC 6750 §3)', async () => {
    for (const token of ['garbage', 'pxs_doesnotexist', 'pxk_doesnotexist']) {
      const r = await client(app.url, token).get('/api/v1/devices');
      assertProblem(r, 401, 'AUTH_INVALID_CREDENTIALS');
      assert.match(
        r.headers.get('www-authenticate') ?? '',
        /^Bearer /,
        `token ${token}: a 401 must carry WWW-Authenticate`,
      );
    }
  });

  test('API keys: shown once, usable as Bearer, never listed, dead at once when deleted', async () => {
    const r = await admin.post<KeyBody>('/api/v1/apikeys', { name: 'grafana', role: 'operator' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.match(r.body.key ?? '', /^pxk_[A-Za-z0-9_-]{43}$/);
    assert.equal(r.body.role, 'operator');
    assert.equal(r.body.createdBy, 'user:admin');
    const key = client(app.url, r.body.key);

    const me = await key.get('/api/v1/auth/me');
    assert.equal(me.status, 200);
    assert.equal(me.body.kind, 'apikey');
    assert.equal(me.body.id, r.body.id);
    assert.equal((await key.post('/api/v1/devices', { id: 'by-key' })).status, 201);
    assertProblem(await key.post('/api/v1/profiles', { id: 'by-key' }), 403, 'AUTH_FORBIDDEN');

    const list = await admin.get<List<KeyBody>>('/api/v1/apikeys');
    assert.equal(list.status, 200);
    const listed = list.body.items.find((k) => k.id === r.body.id);
    assert.ok(listed);
    assert.equal('key' in listed, false);
    assert.ok(listed.lastUsedAt, 'use is recorded');
    assert.equal(JSON.stringify(list.body).includes(r.body.key ?? '?'), false);
    const one = await admin.get<KeyBody>(`/api/v1/apikeys/${r.body.id}`);
    assert.equal(one.status, 200);
    assert.equal('key' in one.body, false);

    assert.equal((await admin.del(`/api/v1/apikeys/${r.body.id}`)).status, 204);
    assertProblem(await key.get('/api/v1/devices'), 401, 'AUTH_INVALID_CREDENTIALS');
    assertProblem(await admin.get(`/api/v1/apikeys/${r.body.id}`), 404, 'AUTH_APIKEY_NOT_FOUND');
    assertProblem(await admin.del(`/api/v1/apikeys/${r.body.id}`), 404, 'AUTH_APIKEY_NOT_FOUND');
  });

  test("changing a user's password ends all their sessions; the new one works", async () => {
    assert.equal(
      (
        await admin.post('/api/v1/users', {
          username: 'carol',
          password: 'carol-password-1',
          role: 'operator',
        })
      ).status,
      201,
    );
    const s1 = await login(app.url, 'carol', 'carol-password-1');
    const s2 = await login(app.url, 'carol', 'carol-password-1');
    const ch = await admin.patch('/api/v1/users/carol', { password: 'carol-password-2' });
    assert.equal(ch.status, 200, JSON.stringify(ch.body));
    assertProblem(await s1.get('/api/v1/devices'), 401, 'AUTH_INVALID_CREDENTIALS');
    assertProblem(await s2.get('/api/v1/devices'), 401, 'AUTH_INVALID_CREDENTIALS');
    assertProblem(
      await anon.post('/api/v1/auth/login', { username: 'carol', password: 'carol-password-1' }),
      401,
      'AUTH_INVALID_CREDENTIALS',
    );
    const s3 = await login(app.url, 'carol', 'carol-password-2');
    assert.equal((await s3.get('/api/v1/devices')).status, 200);

    // A deleted user's session ends with them.
    assert.equal((await admin.del('/api/v1/users/carol')).status, 204);
    assertProblem(await s3.get('/api/v1/devices'), 401, 'AUTH_INVALID_CREDENTIALS');
  });

  test('the last platform admin cannot be deleted', async () => {
    assertProblem(await admin.del('/api/v1/users/admin'), 409, 'AUTH_LAST_ADMIN');
    assert.equal((await admin.get('/api/v1/auth/me')).status, 200);
  });
});

describe('failed-attempt throttling (default limit of 5)', () => {
  let app: TestApp;
  // X-Forwarded-For (trusted here) lets one test speak from several addresses.
  const from = (ip: string, token?: string) => client(app.url, token, { 'x-forwarded-for': ip });

  before(async () => {
    app = await startTestApp({ env: { PLEXUS_HTTP_TRUST_PROXY: 'true' } });
  });
  after(() => app.stop());

  test('5 failed logins, then 429 with Retry-After even for the right password; other addresses unaffected', async () => {
    const bad = { username: 'admin', password: 'wrong-password' };
    for (let i = 0; i < 5; i++) {
      assertProblem(await from('10.0.0.1').post('/api/v1/auth/login', bad), 401, 'AUTH_INVALID_CREDENTIALS');
    }
    const held = await from('10.0.0.1').post('/api/v1/auth/login', app.admin);
    assertProblem(held, 429, 'AUTH_TOO_MANY_ATTEMPTS');
    assert.equal(held.headers.get('retry-after'), '1');
    assertProblem(
      await from('10.0.0.1').post('/api/v1/auth/login', { ...bad, username: 'other' }),
      429,
      'AUTH_TOO_MANY_ATTEMPTS',
    );
    assert.equal((await from('10.0.0.2').post('/api/v1/auth/login', app.admin)).status, 200);

    await sleep(1100);
    assert.equal(
      (await from('10.0.0.1').post('/api/v1/auth/login', app.admin)).status,
      200,
      'free again after Retry-After',
    );
    // The failures still count in the window: the next one holds for twice as long.
    assertProblem(await from('10.0.0.1').post('/api/v1/auth/login', bad), 401, 'AUTH_INVALID_CREDENTIALS');
    const again = await from('10.0.0.1').post('/api/v1/auth/login', app.admin);
    assertProblem(again, 429, 'AUTH_TOO_MANY_ATTEMPTS');
    assert.equal(again.headers.get('retry-after'), '2');
  });

  test('guessed bearer tokens count as failures too', async () => {
    for (let i = 0; i < 5; i++) {
      assertProblem(
        await from('10.0.0.3', `pxk_guess-${i}`).get('/api/v1/devices'),
        401,
        'AUTH_INVALID_CREDENTIALS',
      );
    }
    const r = await from('10.0.0.3', 'pxk_guess-6').get('/api/v1/devices');
    assertProblem(r, 429, 'AUTH_TOO_MANY_ATTEMPTS');
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
  });
});
