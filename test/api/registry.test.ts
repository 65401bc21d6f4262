import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { allPages, assertProblem, type DeviceBody, ids, type List } from '../helpers/fixtures.js';
import { type Client, login } from '../helpers/http.js';

interface ProfileBody {
  id: string;
  name: string;
  telemetry: Record<string, { type: string; unit?: string; min?: number; max?: number }>;
  grants: { publish: string[]; subscribe: string[] };
  limits: { messagesPerSecond: number; bytesPerSecond: number; burstSeconds: number };
  inactivityTimeout: number;
  retentionDays: number;
}

interface Credential {
  id: string;
  kind: string;
  createdAt: string;
  lastUsedAt: string | null;
}

describe('registry over HTTP', () => {
  let app: TestApp;
  let admin: Client;

  before(async () => {
    app = await startTestApp();
    admin = await login(app.url, app.admin.username, app.admin.password);
  });
  after(() => app.stop());

  test('profiles: create with keys, grants and limits, read, patch, list, delete', async () => {
    const created = await admin.post<ProfileBody>('/api/v1/profiles', {
      id: 'press',
      name: 'Hydraulic press',
      telemetry: {
        temperature: { type: 'number', unit: '°C', min: -40, max: 200 },
        running: { type: 'boolean' },
      },
      grants: { publish: ['m2m/line-1/#'], subscribe: ['m2m/+/status'] },
      limits: { messagesPerSecond: 50 },
      inactivityTimeout: 120,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.telemetry.temperature, { type: 'number', unit: '°C', min: -40, max: 200 });
    assert.deepEqual(created.body.grants, { publish: ['m2m/line-1/#'], subscribe: ['m2m/+/status'] });
    // Limits not given keep the defaults.
    assert.deepEqual(created.body.limits, {
      messagesPerSecond: 50,
      bytesPerSecond: 1_000_000,
      burstSeconds: 2,
    });

    const read = await admin.get<ProfileBody>('/api/v1/profiles/press');
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, created.body);

    const patched = await admin.patch<ProfileBody>('/api/v1/profiles/press', {
      name: 'Press v2',
      limits: { burstSeconds: 5 },
      telemetry: { pressure: { type: 'number', unit: 'bar', min: 0, max: 400 } },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const again = await admin.get<ProfileBody>('/api/v1/profiles/press');
    assert.equal(again.body.name, 'Press v2');
    assert.deepEqual(
      again.body.limits,
      { messagesPerSecond: 50, bytesPerSecond: 1_000_000, burstSeconds: 5 },
      'limits merge',
    );
    assert.deepEqual(Object.keys(again.body.telemetry), ['pressure'], 'telemetry is replaced');
    assert.deepEqual(again.body.grants.publish, ['m2m/line-1/#'], 'grants not named stay');
    assert.equal(again.body.inactivityTimeout, 120);

    assert.deepEqual(ids(await admin.get('/api/v1/profiles')), ['default', 'press']);
    assert.equal((await admin.del('/api/v1/profiles/press')).status, 204);
    assertProblem(await admin.get('/api/v1/profiles/press'), 404, 'REGISTRY_PROFILE_NOT_FOUND');
    assertProblem(await admin.del('/api/v1/profiles/press'), 404, 'REGISTRY_PROFILE_NOT_FOUND');
  });

  test('the default profile and a profile in use cannot be deleted', async () => {
    assertProblem(await admin.del('/api/v1/profiles/default'), 409, 'REGISTRY_PROFILE_IN_USE');
    assert.equal((await admin.get('/api/v1/profiles/default')).status, 200);

    assert.equal((await admin.post('/api/v1/profiles', { id: 'busy' })).status, 201);
    assert.equal((await admin.post('/api/v1/devices', { id: 'busy-1', profile: 'busy' })).status, 201);
    const p = assertProblem(await admin.del('/api/v1/profiles/busy'), 409, 'REGISTRY_PROFILE_IN_USE');
    assert.match(p.detail, /1 device/);
    assert.equal((await admin.get('/api/v1/profiles/busy')).status, 200, 'still there');

    assert.equal((await admin.patch('/api/v1/devices/busy-1', { profile: 'default' })).status, 200);
    assert.equal((await admin.del('/api/v1/profiles/busy')).status, 204);
  });

  test('groups: create, read, patch, list, delete', async () => {
    const g = await admin.post('/api/v1/groups', { id: 'line-1', name: 'Line 1', description: 'north hall' });
    assert.equal(g.status, 201, JSON.stringify(g.body));
    assert.equal((await admin.post('/api/v1/groups', { id: 'line-2' })).status, 201);
    const patched = await admin.patch('/api/v1/groups/line-1', { description: 'south hall' });
    assert.equal(patched.status, 200);
    const read = await admin.get('/api/v1/groups/line-1');
    assert.equal(read.body.name, 'Line 1');
    assert.equal(read.body.description, 'south hall');
    assert.equal((await admin.get('/api/v1/groups/line-2')).body.name, 'line-2', 'name defaults to the id');
    assert.deepEqual(ids(await admin.get('/api/v1/groups')), ['line-1', 'line-2']);
    assert.equal((await admin.del('/api/v1/groups/line-2')).status, 204);
    assertProblem(await admin.get('/api/v1/groups/line-2'), 404, 'REGISTRY_GROUP_NOT_FOUND');
    assertProblem(await admin.patch('/api/v1/groups/line-2', { name: 'x' }), 404, 'REGISTRY_GROUP_NOT_FOUND');
  });

  test('devices: create with every field, secret shown once, patch, delete', async () => {
    await admin.post('/api/v1/profiles', { id: 'sensor' });
    await admin.post('/api/v1/groups', { id: 'dg-a' });
    await admin.post('/api/v1/groups', { id: 'dg-b' });
    const body = {
      id: 'press-7',
      name: 'Press 7',
      profile: 'sensor',
      labels: { site: 'plant-1', line: '3' },
      enabled: false,
    };
    const c = await admin.post<DeviceBody>('/api/v1/devices', { ...body, groups: ['dg-b', 'dg-a'] });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assert.match(c.body.secret ?? '', /^[A-Za-z0-9_-]{43}$/, '256-bit secret, base64url');
    const {
      secret: _s,
      createdAt,
      updatedAt,
      ...fields
    } = c.body as DeviceBody & { createdAt: string; updatedAt: string };
    assert.deepEqual(fields, {
      ...body,
      groups: ['dg-a', 'dg-b'],
      status: 'unknown',
      lastSeen: null,
      firmware: null,
    });
    assert.equal(createdAt, updatedAt);
    const read = await admin.get<DeviceBody>('/api/v1/devices/press-7');
    assert.equal(read.status, 200);
    assert.equal('secret' in read.body, false, 'GET never carries the secret');
    assert.deepEqual(read.body, { ...fields, createdAt, updatedAt });
    const listed = await admin.get<List<DeviceBody>>('/api/v1/devices?q=press-7');
    assert.equal(JSON.stringify(listed.body).includes(c.body.secret ?? '?'), false);

    const p = await admin.patch<DeviceBody>('/api/v1/devices/press-7', {
      name: 'Press seven',
      enabled: true,
      groups: ['dg-a'],
      labels: { site: 'plant-2' },
    });
    assert.equal(p.status, 200, JSON.stringify(p.body));
    const after = await admin.get<DeviceBody>('/api/v1/devices/press-7');
    assert.equal(after.body.name, 'Press seven');
    assert.equal(after.body.enabled, true);
    assert.deepEqual(after.body.groups, ['dg-a']);
    assert.deepEqual(after.body.labels, { site: 'plant-2' });
    assert.equal(after.body.profile, 'sensor', 'fields not named stay');

    assert.equal((await admin.del('/api/v1/devices/press-7')).status, 204);
    assertProblem(await admin.get('/api/v1/devices/press-7'), 404, 'REGISTRY_DEVICE_NOT_FOUND');
    assertProblem(await admin.del('/api/v1/devices/press-7'), 404, 'REGISTRY_DEVICE_NOT_FOUND');
  });

  test('devices: a generated id and defaults when only the body is empty', async () => {
    const c = await admin.post<DeviceBody>('/api/v1/devices', {});
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assert.match(c.body.id, /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/);
    assert.equal(c.body.name, c.body.id);
    assert.equal(c.body.profile, 'default');
    assert.deepEqual([c.body.groups, c.body.labels, c.body.enabled], [[], {}, true]);
    const other = await admin.post<DeviceBody>('/api/v1/devices', {});
    assert.notEqual(other.body.id, c.body.id);
    assert.notEqual(other.body.secret, c.body.secret);
    assert.equal((await admin.get(`/api/v1/devices/${c.body.id}`)).status, 200);
  });

  test('deleting a group keeps its devices, without the group', async () => {
    await admin.post('/api/v1/groups', { id: 'doomed' });
    await admin.post('/api/v1/groups', { id: 'kept' });
    assert.equal(
      (await admin.post('/api/v1/devices', { id: 'member-1', groups: ['doomed', 'kept'] })).status,
      201,
    );
    assert.deepEqual(ids(await admin.get('/api/v1/devices?group=doomed')), ['member-1']);
    assert.equal((await admin.del('/api/v1/groups/doomed')).status, 204);
    const d = await admin.get<DeviceBody>('/api/v1/devices/member-1');
    assert.equal(d.status, 200);
    assert.deepEqual(d.body.groups, ['kept']);
    assert.deepEqual(ids(await admin.get('/api/v1/devices?group=doomed')), []);
  });

  test('list filters: profile, group, status, labels (repeated) and text', async () => {
    await admin.post('/api/v1/profiles', { id: 'flt-prof' });
    await admin.post('/api/v1/groups', { id: 'flt-group' });
    const make = (body: Record<string, unknown>) => admin.post('/api/v1/devices', body);
    await make({
      id: 'flt-1',
      profile: 'flt-prof',
      groups: ['flt-group'],
      labels: { fsite: 'plant-1', fline: '3' },
    });
    await make({ id: 'flt-2', labels: { fsite: 'plant-1', fline: '4' } });
    await make({ id: 'flt-3', name: 'Boiler Room', labels: { fsite: 'plant-2' } });
    const q = (query: string) => admin.get(`/api/v1/devices?${query}`);
    assert.deepEqual(ids(await q('profile=flt-prof')), ['flt-1']);
    assert.deepEqual(ids(await q('group=flt-group')), ['flt-1']);
    assert.deepEqual(ids(await q('label=fsite=plant-1')), ['flt-1', 'flt-2']);
    assert.deepEqual(ids(await q('label=fsite=plant-1&label=fline=4')), ['flt-2']);
    assert.deepEqual(ids(await q('label=fsite=plant-9')), []);
    assert.deepEqual(ids(await q('q=BOILER')), ['flt-3'], 'case-insensitive search in the name');
    assert.deepEqual(ids(await q('q=flt-')), ['flt-1', 'flt-2', 'flt-3']);
    assert.deepEqual(ids(await q('q=flt-&status=unknown')), ['flt-1', 'flt-2', 'flt-3']);
    assert.deepEqual(ids(await q('q=flt-&status=online')), []);
    assert.deepEqual(ids(await q('q=flt_')), [], '_ is not a wildcard');
    assert.deepEqual(ids(await q('profile=flt-prof&label=fsite=plant-2')), [], 'filters combine');
  });

  test('cursor pagination: every device once, in id order, next absent at the end', async () => {
    const want = Array.from({ length: 25 }, (_, i) => `pg-${String(i).padStart(2, '0')}`);
    // Created out of order: the list must still come back sorted by id.
    const shuffled = want.map((_, i) => want[(i * 7) % want.length] as string);
    const replies = await Promise.all(shuffled.map((id) => admin.post('/api/v1/devices', { id })));
    assert.deepEqual(
      replies.map((r) => r.status),
      shuffled.map(() => 201),
    );

    const pages = await allPages<DeviceBody>(admin, '/api/v1/devices?q=pg-&limit=10');
    assert.deepEqual(
      pages.map((p) => p.length),
      [10, 10, 5],
    );
    assert.deepEqual(
      pages.flat().map((d) => d.id),
      want,
    );

    // An exact multiple of the page size ends without an empty trailing page.
    const fives = await allPages<DeviceBody>(admin, '/api/v1/devices?q=pg-&limit=5');
    assert.deepEqual(
      fives.map((p) => p.length),
      [5, 5, 5, 5, 5],
    );
    const first = await admin.get<List<DeviceBody>>('/api/v1/devices?q=pg-');
    assert.equal(first.body.items.length, 25, 'default limit is 100');
    assert.equal(first.body.next, undefined);
  });

  test('credentials: new secrets, revokeOthers, revoke one, never a secret in a list', async () => {
    const c = await admin.post<DeviceBody>('/api/v1/devices', { id: 'cred-dev' });
    const secrets = [c.body.secret as string];
    const list = async () => {
      const r = await admin.get<List<Credential>>('/api/v1/devices/cred-dev/credentials');
      assert.equal(r.status, 200);
      const text = JSON.stringify(r.body);
      for (const s of secrets) assert.equal(text.includes(s), false, 'a list never shows a secret');
      assert.doesNotMatch(text, /"secret":|hash/i);
      for (const item of r.body.items)
        assert.deepEqual(Object.keys(item).sort(), ['createdAt', 'id', 'kind', 'lastUsedAt']);
      return r.body.items.map((i) => i.id);
    };
    const [firstId] = await list();
    assert.ok(firstId);
    // A device using its secret shows on the credential: still in use, think before revoking it.
    const used = await fetch(`${app.url}/device/v1/telemetry`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`cred-dev:${secrets[0]}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ temperature: 20 }),
    });
    assert.equal(used.status, 200);
    const afterUse = await admin.get<List<Credential>>('/api/v1/devices/cred-dev/credentials');
    assert.ok(afterUse.body.items[0]?.lastUsedAt, 'the use is recorded');

    const s2 = await admin.post<{ id: string; secret: string; revoked: string[] }>(
      '/api/v1/devices/cred-dev/secrets',
      {},
    );
    assert.equal(s2.status, 201, JSON.stringify(s2.body));
    assert.deepEqual(s2.body.revoked, []);
    assert.notEqual(s2.body.secret, secrets[0]);
    secrets.push(s2.body.secret);
    assert.deepEqual((await list()).sort(), [firstId, s2.body.id].sort(), 'the old one stays');

    const s3 = await admin.post<{ id: string; secret: string; revoked: string[] }>(
      '/api/v1/devices/cred-dev/secrets',
      {
        revokeOthers: true,
      },
    );
    assert.equal(s3.status, 201);
    secrets.push(s3.body.secret);
    assert.deepEqual(s3.body.revoked.sort(), [firstId, s2.body.id].sort());
    assert.deepEqual(await list(), [s3.body.id]);

    const s4 = await admin.post<{ id: string; secret: string }>('/api/v1/devices/cred-dev/secrets', {});
    secrets.push(s4.body.secret);
    assert.equal((await admin.del(`/api/v1/devices/cred-dev/credentials/${s3.body.id}`)).status, 204);
    assert.deepEqual(await list(), [s4.body.id]);
    assertProblem(
      await admin.del(`/api/v1/devices/cred-dev/credentials/${s3.body.id}`),
      404,
      'REGISTRY_CREDENTIAL_NOT_FOUND',
    );
    assertProblem(await admin.post('/api/v1/devices/nobody/secrets', {}), 404, 'REGISTRY_DEVICE_NOT_FOUND');
    assertProblem(await admin.get('/api/v1/devices/nobody/credentials'), 404, 'REGISTRY_DEVICE_NOT_FOUND');
  });

  test('a new secret needs no request body (the body and revokeOthers are optional)', async () => {
    await admin.post('/api/v1/devices', { id: 'bodyless' });
    const r = await admin.post<{ secret: string; revoked: string[] }>('/api/v1/devices/bodyless/secrets');
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body.revoked, []);
    const list = await admin.get<List<Credential>>('/api/v1/devices/bodyless/credentials');
    assert.equal(list.body.items.length, 2);
  });

  test('a device with the longest allowed id (128 chars) can be read, changed and deleted by URL', async () => {
    const id = `long-${'x'.repeat(123)}`;
    assert.equal(id.length, 128);
    assert.equal((await admin.post('/api/v1/devices', { id })).status, 201);
    const r = await admin.get<DeviceBody>(`/api/v1/devices/${id}`);
    assert.equal(r.status, 200, `GET by URL: ${r.status} ${JSON.stringify(r.body).slice(0, 120)}`);
    assert.equal((await admin.patch(`/api/v1/devices/${id}`, { name: 'long' })).status, 200);
    assert.equal((await admin.del(`/api/v1/devices/${id}`)).status, 204);
  });
});
