import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { allPages, assertProblem, type DeviceBody, type List, userClient } from '../helpers/fixtures.js';
import { type Client, client } from '../helpers/http.js';

interface AuditItem {
  seq: number;
  ts: string;
  tenant: string;
  actor: string;
  action: string;
  resource: string;
  resourceId: string | null;
  status: number;
  details: Record<string, unknown> | null;
}

interface OpenApi {
  openapi: string;
  paths: Record<
    string,
    Record<string, { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }>
  >;
  components: { securitySchemes: Record<string, unknown> };
}

const PKG_VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

describe('health, metrics, documentation', () => {
  let app: TestApp;
  const anon = () => client(app.url);

  before(async () => {
    app = await startTestApp();
  });
  after(() => app.stop());

  test('/healthz and /readyz answer 200 without auth', async () => {
    const h = await anon().get('/healthz');
    assert.deepEqual([h.status, h.body], [200, { status: 'ok' }]);
    const r = await anon().get('/readyz');
    assert.deepEqual([r.status, r.body], [200, { status: 'ready' }]);
  });

  test('/metrics: request counters by route and process metrics, in Prometheus text', async () => {
    await anon().get('/healthz');
    await anon().get('/api/v1/devices'); // a 401
    await anon().get('/api/v1/devices', { authorization: 'Bearer pxs_guess' }); // a rejected token
    await anon().post('/api/v1/auth/login', { username: 'admin', password: 'wrong-password' });
    const r = await anon().get<string>('/metrics');
    assert.match(r.body, /^plexus_auth_failures_total\{kind="login"\} [1-9]/m);
    assert.match(r.body, /^plexus_auth_failures_total\{kind="token"\} [1-9]/m);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(r.body, /^# TYPE plexus_http_requests_total counter$/m);
    assert.match(
      r.body,
      /^plexus_http_requests_total\{method="GET",route="\/healthz",status="200"\} [1-9]\d*$/m,
    );
    assert.match(
      r.body,
      /^plexus_http_requests_total\{method="GET",route="\/api\/v1\/devices",status="401"\} [1-9]/m,
    );
    assert.match(r.body, /^plexus_http_request_duration_seconds_bucket\{/m);
    assert.match(r.body, /^plexus_process_cpu_user_seconds_total \d/m);
    assert.match(r.body, /^plexus_process_resident_memory_bytes \d/m);
    assert.match(r.body, /^plexus_nodejs_heap_size_used_bytes \d/m);
  });

  test('/api/docs/json is an OpenAPI 3 document of the API with strict request bodies', async () => {
    const r = await anon().get<OpenApi>('/api/docs/json');
    assert.equal(r.status, 200);
    assert.match(r.body.openapi, /^3\./);
    const devices = r.body.paths['/api/v1/devices'];
    assert.ok(devices?.get && devices.post, 'GET and POST /api/v1/devices are documented');
    const schema = devices.post.requestBody?.content['application/json']?.schema;
    assert.equal(schema?.additionalProperties, false);
    assert.ok(Object.keys(schema?.properties as object).includes('labels'));
    for (const p of [
      '/api/v1/devices/{id}',
      '/api/v1/profiles',
      '/api/v1/groups',
      '/api/v1/users',
      '/api/v1/apikeys',
      '/api/v1/mqtt-users',
      '/api/v1/audit',
      '/api/v1/auth/login',
    ]) {
      assert.ok(r.body.paths[p], `${p} documented`);
    }
    assert.ok(r.body.components.securitySchemes.bearer);
    assert.ok(
      Object.keys(r.body.paths).every((p) => p.startsWith('/api/v1/') || p.startsWith('/device/v1/')),
      'health and metrics stay out of the API document',
    );
  });

  test('/api/docs serves the HTML UI', async () => {
    const res = await fetch(`${app.url}/api/docs`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await res.text(), /<html[\s\S]*swagger/i);
  });

  test('GET /api/v1/info needs no auth and gives the version', async () => {
    const r = await anon().get('/api/v1/info');
    assert.equal(r.status, 200);
    assert.equal(r.body.version, PKG_VERSION);
  });
});

describe('audit trail', () => {
  let app: TestApp;
  let admin: Client;
  let viewer: Client;
  let generatedId: string;
  const secrets: string[] = [];
  let token: string;

  const audit = async (query = '') => {
    const r = await admin.get<List<AuditItem>>(`/api/v1/audit?limit=1000${query}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.items;
  };
  const find = (items: AuditItem[], action: string, status: number, resourceId?: string | null) => {
    const hit = items.find(
      (a) =>
        a.action === action &&
        a.status === status &&
        (resourceId === undefined || a.resourceId === resourceId),
    );
    assert.ok(
      hit,
      `no ${action} ${status} ${resourceId} in ${JSON.stringify(items.map((a) => [a.action, a.status, a.resourceId]))}`,
    );
    return hit;
  };

  before(async () => {
    app = await startTestApp();
    const l = await client(app.url).post<{ token: string }>('/api/v1/auth/login', app.admin);
    token = l.body.token;
    admin = client(app.url, token);
    viewer = await userClient(admin, app.url, { username: 'vic', role: 'viewer' }, 'vic-secret-password');
    await client(app.url).post('/api/v1/auth/login', { username: 'admin', password: 'a-wrong-password' });
    const d = await admin.post<DeviceBody>('/api/v1/devices', {
      id: 'd-a',
      name: 'Audited',
      labels: { site: 'x' },
    });
    secrets.push(d.body.secret as string);
    const g = await admin.post<DeviceBody>('/api/v1/devices', {});
    generatedId = g.body.id;
    secrets.push(g.body.secret as string);
    await admin.patch('/api/v1/devices/d-a', { name: 'Renamed' });
    const s = await admin.post<{ secret: string }>('/api/v1/devices/d-a/secrets', { revokeOthers: true });
    secrets.push(s.body.secret);
    const k = await admin.post<{ key: string }>('/api/v1/apikeys', { name: 'grafana', role: 'viewer' });
    secrets.push(k.body.key);
    await viewer.post('/api/v1/devices', { id: 'v-1' });
    await viewer.del('/api/v1/devices/d-a');
    await client(app.url).post('/api/v1/devices', { id: 'anon-1' });
    await admin.del('/api/v1/devices/d-a');
  });
  after(() => app.stop());

  test('logins, successful or not, are recorded with the password redacted', async () => {
    const items = await audit();
    const ok = find(items, 'auth.login', 200, 'admin');
    assert.deepEqual([ok.actor, ok.resource, ok.tenant], ['user:admin', 'user', 'default']);
    assert.deepEqual(ok.details, { username: 'admin', password: '[redacted]' });
    const failed = find(items, 'auth.login', 401, 'admin');
    assert.equal(failed.details?.password, '[redacted]');
  });

  test('every change is recorded with actor, action, resource, id and status', async () => {
    const items = await audit();
    const created = find(items, 'device.create', 201, 'd-a');
    assert.deepEqual([created.actor, created.resource, created.tenant], ['user:admin', 'device', 'default']);
    assert.deepEqual(created.details, { id: 'd-a', name: 'Audited', labels: { site: 'x' } });
    assert.ok(Date.parse(created.ts) > 0);
    find(items, 'device.create', 201, generatedId);
    assert.deepEqual(find(items, 'device.update', 200, 'd-a').details, { name: 'Renamed' });
    find(items, 'credential.create', 201, 'd-a');
    find(items, 'device.delete', 204, 'd-a');
    const key = find(items, 'apikey.create', 201);
    assert.match(key.resourceId ?? '', /^key-/);
    const user = find(items, 'user.create', 201, 'vic');
    assert.deepEqual(user.details, { username: 'vic', role: 'viewer', password: '[redacted]' });
    const seqs = items.map((a) => a.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => b - a),
      'newest first',
    );
  });

  test('refused attempts are recorded too, with who tried what', async () => {
    const items = await audit();
    const del = find(items, 'device.delete', 403, 'd-a');
    assert.equal(del.actor, 'user:vic');
    const create = find(items, 'device.create', 403);
    assert.equal(create.actor, 'user:vic');
    assert.equal(create.resourceId, 'v-1', 'the id the viewer tried to create');
  });

  test('an unauthenticated change attempt is recorded as anonymous', async () => {
    const items = await audit();
    const anon = find(items, 'device.create', 401);
    assert.equal(anon.actor, 'anonymous');
  });

  test('no secret, key, password or token ever enters the trail', async () => {
    const text = JSON.stringify(await audit());
    for (const s of [...secrets, token, app.admin.password, 'a-wrong-password', 'vic-secret-password']) {
      assert.equal(text.includes(s), false, `${s.slice(0, 8)}… leaked into the audit trail`);
    }
  });

  test('filters: action, resource, actor, resourceId', async () => {
    const creates = await audit('&action=device.create');
    assert.ok(creates.length >= 3);
    assert.ok(creates.every((a) => a.action === 'device.create'));
    const users = await audit('&resource=user');
    assert.ok(users.length >= 3);
    assert.ok(users.every((a) => a.resource === 'user'));
    const byVic = await audit('&actor=user:vic');
    assert.deepEqual(byVic.map((a) => `${a.action} ${a.status}`).sort(), [
      'auth.login 200',
      'device.create 403',
      'device.delete 403',
    ]);
    const onDa = await audit('&resourceId=d-a&action=device.delete');
    assert.deepEqual(onDa.map((a) => a.status).sort(), [204, 403]);
    assert.deepEqual(await audit('&action=nothing.like.this'), []);
  });

  test('pages through the trail with a cursor, each entry once', async () => {
    const everything = await audit();
    const pages = await allPages<AuditItem>(admin, '/api/v1/audit?limit=3');
    assert.ok(pages.length > 2);
    assert.ok(pages.slice(0, -1).every((p) => p.length === 3));
    assert.deepEqual(
      pages.flat().map((a) => a.seq),
      everything.map((a) => a.seq),
    );
    const filtered = await allPages<AuditItem>(admin, '/api/v1/audit?limit=1&resource=user');
    assert.deepEqual(
      filtered.flat().map((a) => a.seq),
      (await audit('&resource=user')).map((a) => a.seq),
    );
  });

  test('reading the trail is for admins only and is not itself recorded', async () => {
    const before = (await audit()).length;
    assertProblem(await viewer.get('/api/v1/audit'), 403, 'AUTH_FORBIDDEN');
    await audit();
    assert.equal((await audit()).length, before);
  });
});
