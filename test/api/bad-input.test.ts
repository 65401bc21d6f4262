import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { assertProblem, type DeviceBody, errorPaths, ids, type List } from '../helpers/fixtures.js';
import { type Client, client, login } from '../helpers/http.js';

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('bad input gets a precise problem+json and writes nothing', () => {
  let app: TestApp;
  let admin: Client;
  const devices = () => admin.get<List<DeviceBody>>('/api/v1/devices?limit=1000');
  const deviceIds = async () => ids(await devices());

  before(async () => {
    app = await startTestApp();
    admin = await login(app.url, app.admin.username, app.admin.password);
    assert.equal((await admin.post('/api/v1/groups', { id: 'g-ok' })).status, 201);
    assert.equal(
      (await admin.post('/api/v1/devices', { id: 'keep', name: 'Keep me', groups: ['g-ok'] })).status,
      201,
    );
  });
  after(() => app.stop());

  test('malformed JSON: the detail names the JSON problem', async () => {
    for (const text of ['{"id": "half",', "{'id': 'half'}", '{"id": "half"} trailing']) {
      const p = assertProblem(await admin.post('/api/v1/devices', text), 400, 'API_MALFORMED_JSON');
      assert.match(p.detail, /^body is not valid JSON: .*(JSON|position|Unexpected|Expected)/);
    }
    assert.deepEqual(await deviceIds(), ['keep']);
  });

  test('unknown fields are named at /body/<field>, nested ones too', async () => {
    const p = assertProblem(
      await admin.post('/api/v1/devices', { id: 'u-1', colour: 'red', owner: 'x' }),
      400,
      'API_VALIDATION',
    );
    assert.deepEqual(errorPaths(p).sort(), ['/body/colour', '/body/owner']);
    assert.match(p.detail, /\/body\/colour: is not a known field/);
    const q = assertProblem(
      await admin.post('/api/v1/profiles', {
        id: 'p-u',
        telemetry: { temp: { type: 'number', color: 'x' } },
        limits: { rps: 1 },
      }),
      400,
      'API_VALIDATION',
    );
    assert.deepEqual(errorPaths(q).sort(), ['/body/limits/rps', '/body/telemetry/temp/color']);
    const r = assertProblem(
      await admin.patch('/api/v1/devices/keep', { status: 'online' }),
      400,
      'API_VALIDATION',
    );
    assert.deepEqual(errorPaths(r), ['/body/status'], 'read-only fields cannot be patched');
    assert.deepEqual(await deviceIds(), ['keep']);
    assert.deepEqual(ids(await admin.get('/api/v1/profiles')), ['default']);
    assert.equal((await admin.get<DeviceBody>('/api/v1/devices/keep')).body.status, 'unknown');
  });

  test('U+0000 in any string (PostgreSQL text cannot hold it) is refused on every backend', async () => {
    const p = assertProblem(
      await admin.post('/api/v1/devices', {
        id: 'nul-1',
        name: 'bad\u0000name',
        labels: { 'si\u0000te': 'a' },
      }),
      400,
      'API_VALIDATION',
    );
    assert.match(p.detail, /\/body\/name: must not contain the character U\+0000/);
    const q = assertProblem(
      await admin.patch('/api/v1/devices/keep', { labels: { 'si\u0000te': 'a' } }),
      400,
      'API_VALIDATION',
    );
    assert.deepEqual(errorPaths(q), ['/body/labels/si\u0000te']);
    assert.deepEqual(await deviceIds(), ['keep']);
    assert.deepEqual((await admin.get<DeviceBody>('/api/v1/devices/keep')).body.labels, {});
  });

  test('wrong types are reported all at once and not coerced', async () => {
    const p = assertProblem(
      await admin.post('/api/v1/devices', { id: 42, enabled: 'yes', labels: { site: 1 }, groups: 'g-ok' }),
      400,
      'API_VALIDATION',
    );
    assert.deepEqual(errorPaths(p).sort(), [
      '/body/enabled',
      '/body/groups',
      '/body/id',
      '/body/labels/site',
    ]);
    const q = assertProblem(
      await admin.patch('/api/v1/devices/keep', { name: 5, enabled: 'false' }),
      400,
      'API_VALIDATION',
    );
    assert.deepEqual(errorPaths(q).sort(), ['/body/enabled', '/body/name']);
    const role = assertProblem(
      await admin.post('/api/v1/users', { username: 'bob', password: 'short', role: 'root' }),
      400,
      'API_VALIDATION',
    );
    assert.deepEqual(errorPaths(role).sort(), ['/body/password', '/body/role']);
    assert.match(role.detail, /must be one of: "admin", "operator", "viewer"/);
    const login = assertProblem(
      await client(app.url).post('/api/v1/auth/login', { username: 'admin' }),
      400,
      'API_VALIDATION',
    );
    assert.deepEqual(errorPaths(login), ['/body/password']);
    const d = await admin.get<DeviceBody>('/api/v1/devices/keep');
    assert.deepEqual([d.body.name, d.body.enabled], ['Keep me', true]);
    assertProblem(await admin.get('/api/v1/users/bob'), 404, 'AUTH_USER_NOT_FOUND');
  });

  test('invalid ids in bodies and paths', async () => {
    const bad = ['a/b', '+', '#', '', 'x'.repeat(200), 'x@y', '-lead', 'sp ace', 'dev/+/#'];
    for (const id of bad) {
      const p = assertProblem(await admin.post('/api/v1/devices', { id }), 400, 'API_VALIDATION');
      assert.deepEqual(errorPaths(p), ['/body/id'], JSON.stringify(id));
      assertProblem(await admin.post('/api/v1/groups', { id }), 400, 'API_VALIDATION');
      assertProblem(await admin.post('/api/v1/profiles', { id }), 400, 'API_VALIDATION');
    }
    for (const id of ['ACME', 'a_b', 'a.b', '-x']) {
      const p = assertProblem(await admin.post('/api/v1/tenants', { id }), 400, 'API_VALIDATION');
      assert.deepEqual(errorPaths(p), ['/body/id']);
    }
    for (const raw of ['a%2Fb', '%2B', '%23', 'x%40y', '%20', '-x']) {
      const p = assertProblem(await admin.get(`/api/v1/devices/${raw}`), 400, 'API_VALIDATION');
      assert.deepEqual(errorPaths(p), ['/params/id'], raw);
    }
    assert.deepEqual(await deviceIds(), ['keep']);
    assert.deepEqual(ids(await admin.get('/api/v1/groups')), ['g-ok']);
    assert.deepEqual(ids(await admin.get('/api/v1/tenants')), ['default']);
  });

  test('an overlong id in the path gets problem+json 400, like one in the body', async () => {
    const p = assertProblem(await admin.get(`/api/v1/devices/${'x'.repeat(200)}`), 400, 'API_VALIDATION');
    assert.deepEqual(errorPaths(p), ['/params/id']);
  });

  test('a body over 1 MiB gets 413 API_BODY_TOO_LARGE', async () => {
    const big = JSON.stringify({ id: 'big', name: 'x'.repeat(1024 * 1024) });
    const p = assertProblem(await admin.post('/api/v1/devices', big), 413, 'API_BODY_TOO_LARGE');
    assert.match(p.detail, /body/i);
    assertProblem(await admin.get('/api/v1/devices/big'), 404, 'REGISTRY_DEVICE_NOT_FOUND');
  });

  test('an unsupported content type gets 415', async () => {
    const types = [
      'application/x-www-form-urlencoded',
      'application/xml',
      'multipart/form-data; boundary=x',
      'text/plain',
    ];
    for (const type of types) {
      const r = await admin.post('/api/v1/devices', '{"id":"typed-1"}', { 'content-type': type });
      assert.deepEqual(await deviceIds(), ['keep']);
      assertProblem(r, 415, 'API_UNSUPPORTED_MEDIA_TYPE');
    }
  });

  test('duplicate ids get 409 with the object-specific code; the original stays', async () => {
    assert.equal((await admin.post('/api/v1/profiles', { id: 'p-dup' })).status, 201);
    assert.equal((await admin.post('/api/v1/tenants', { id: 't-dup' })).status, 201);
    assertProblem(
      await admin.post('/api/v1/devices', { id: 'keep', name: 'Other' }),
      409,
      'REGISTRY_DEVICE_EXISTS',
    );
    assertProblem(
      await admin.post('/api/v1/groups', { id: 'g-ok', name: 'Other' }),
      409,
      'REGISTRY_GROUP_EXISTS',
    );
    assertProblem(
      await admin.post('/api/v1/profiles', { id: 'p-dup', name: 'Other' }),
      409,
      'REGISTRY_PROFILE_EXISTS',
    );
    assertProblem(
      await admin.post('/api/v1/tenants', { id: 't-dup', name: 'Other' }),
      409,
      'REGISTRY_TENANT_EXISTS',
    );
    assertProblem(
      await admin.post('/api/v1/users', { username: 'admin', password: 'password-1', role: 'viewer' }),
      409,
      'AUTH_USER_EXISTS',
    );
    const d = await admin.get<DeviceBody>('/api/v1/devices/keep');
    assert.equal(d.body.name, 'Keep me');
    assert.equal((await admin.get('/api/v1/groups/g-ok')).body.name, 'g-ok');
    assert.equal((await admin.get('/api/v1/profiles/p-dup')).body.name, 'p-dup');
    assert.equal((await admin.get('/api/v1/auth/me')).body.role, 'admin');
  });

  test('simultaneous creates of one id: one 201, the rest the same 409 code', async () => {
    const devs = await Promise.all(
      Array.from({ length: 6 }, () => admin.post('/api/v1/devices', { id: 'race-1' })),
    );
    assert.deepEqual(devs.map((r) => r.status).sort(), [201, 409, 409, 409, 409, 409]);
    for (const r of devs.filter((x) => x.status === 409)) assertProblem(r, 409, 'REGISTRY_DEVICE_EXISTS');
    const body = { username: 'race-user', password: 'password-1', role: 'viewer' };
    const users = await Promise.all(Array.from({ length: 3 }, () => admin.post('/api/v1/users', body)));
    assert.deepEqual(users.map((r) => r.status).sort(), [201, 409, 409]);
    for (const r of users.filter((x) => x.status === 409)) assertProblem(r, 409, 'AUTH_USER_EXISTS');
  });

  test('unknown profile or group: 422 and the device is neither created nor changed', async () => {
    const p = assertProblem(
      await admin.post('/api/v1/devices', { id: 'orphan', profile: 'nope', groups: ['g-ok', 'nope-g'] }),
      422,
      'REGISTRY_UNKNOWN_REFERENCE',
    );
    assert.match(p.detail, /profile nope does not exist/);
    assert.match(p.detail, /group nope-g does not exist/);
    assert.equal(p.errors?.length, 2);
    assertProblem(await admin.get('/api/v1/devices/orphan'), 404, 'REGISTRY_DEVICE_NOT_FOUND');
    assertProblem(
      await admin.patch('/api/v1/devices/keep', { name: 'Changed', groups: ['nope-g'] }),
      422,
      'REGISTRY_UNKNOWN_REFERENCE',
    );
    const d = await admin.get<DeviceBody>('/api/v1/devices/keep');
    assert.deepEqual([d.body.name, d.body.groups], ['Keep me', ['g-ok']]);
  });

  test('inconsistent profiles: 400 REGISTRY_PROFILE_INVALID naming each problem; nothing written', async () => {
    const p = assertProblem(
      await admin.post('/api/v1/profiles', {
        id: 'p-bad',
        telemetry: { temp: { type: 'number', min: 10, max: 0 }, on: { type: 'boolean', min: 0 } },
        grants: { publish: ['devices/+/telemetry', 'm2m/#/x'], subscribe: ['m2m/a#', 'm2m/ok/+'] },
      }),
      400,
      'REGISTRY_PROFILE_INVALID',
    );
    const messages = (p.errors ?? []).map((e) => e.message).join(' | ');
    assert.equal(p.errors?.length, 5, messages);
    for (const m of [
      'min must not exceed max',
      'only to number keys',
      'must start with m2m/',
      '# must be the last level',
      '# must occupy a whole level',
    ]) {
      assert.ok(messages.includes(m), `${m} in ${messages}`);
    }
    assertProblem(await admin.get('/api/v1/profiles/p-bad'), 404, 'REGISTRY_PROFILE_NOT_FOUND');
    assertProblem(
      await admin.patch('/api/v1/profiles/default', { name: 'Renamed', grants: { publish: ['devices/#'] } }),
      400,
      'REGISTRY_PROFILE_INVALID',
    );
    const d = await admin.get<{ name: string; grants: { publish: string[] } }>('/api/v1/profiles/default');
    assert.deepEqual([d.body.name, d.body.grants.publish], ['Default', []]);
  });

  test('field errors of registry checks point into the request like schema errors (/body/...)', async () => {
    const ref = assertProblem(
      await admin.post('/api/v1/devices', { id: 'orphan', profile: 'nope', groups: ['g-ok', 'nope-g'] }),
      422,
      'REGISTRY_UNKNOWN_REFERENCE',
    );
    const prof = assertProblem(
      await admin.post('/api/v1/profiles', {
        id: 'p-bad',
        telemetry: { temp: { type: 'number', min: 1, max: 0 } },
      }),
      400,
      'REGISTRY_PROFILE_INVALID',
    );
    assert.deepEqual(
      [...errorPaths(ref), ...errorPaths(prof)],
      ['/body/profile', '/body/groups/1', '/body/telemetry/temp'],
    );
  });

  test('cursors not handed out by the server get 400 API_INVALID_CURSOR', async () => {
    for (const path of [
      '/api/v1/devices',
      '/api/v1/groups',
      '/api/v1/profiles',
      '/api/v1/users',
      '/api/v1/audit',
    ]) {
      for (const cursor of ['garbage!', cursorOf({ v: 2, a: 'x' }), cursorOf('plain')]) {
        assertProblem(
          await admin.get(`${path}?cursor=${encodeURIComponent(cursor)}`),
          400,
          'API_INVALID_CURSOR',
        );
      }
    }
    // Well-formed but forged: the audit trail pages by sequence number.
    assertProblem(
      await admin.get(`/api/v1/audit?cursor=${cursorOf({ v: 1, a: 'abc' })}`),
      400,
      'API_INVALID_CURSOR',
    );
  });

  test('limit out of range, bad filters', async () => {
    for (const limit of ['0', '1001', '-1', 'ten', '1.5']) {
      const p = assertProblem(await admin.get(`/api/v1/devices?limit=${limit}`), 400, 'API_VALIDATION');
      assert.deepEqual(errorPaths(p), ['/querystring/limit'], limit);
    }
    assert.equal((await admin.get('/api/v1/devices?limit=1000')).status, 200);
    const noEq = assertProblem(await admin.get('/api/v1/devices?label=site'), 400, 'API_VALIDATION');
    assert.ok(
      errorPaths(noEq).every((x) => x.startsWith('/querystring/label')),
      JSON.stringify(noEq),
    );
    const badKey = assertProblem(
      await admin.get('/api/v1/devices?label=bad%20key%3D1'),
      400,
      'API_VALIDATION',
    );
    assert.deepEqual(errorPaths(badKey), ['/querystring/label']);
    const status = assertProblem(await admin.get('/api/v1/devices?status=sleeping'), 400, 'API_VALIDATION');
    assert.deepEqual(errorPaths(status), ['/querystring/status']);
    assert.match(status.detail, /must be one of/);
    assertProblem(await admin.get('/api/v1/devices?profile=a%2Fb'), 400, 'API_VALIDATION');
  });

  test('an unknown route gets 404 API_ROUTE_NOT_FOUND', async () => {
    const p = assertProblem(await admin.get('/api/v1/nothing-here'), 404, 'API_ROUTE_NOT_FOUND');
    assert.equal(p.detail, 'no route GET /api/v1/nothing-here');
    assertProblem(await admin.post('/api/v1/devices/keep/reboot', {}), 404, 'API_ROUTE_NOT_FOUND');
    assertProblem(await client(app.url).get('/nothing-here?x=1'), 404, 'API_ROUTE_NOT_FOUND');
  });

  test('the server still answers after all of this', async () => {
    const r = await client(app.url).get('/healthz');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { status: 'ok' });
    assert.deepEqual(await deviceIds(), ['keep', 'race-1']);
  });
});
