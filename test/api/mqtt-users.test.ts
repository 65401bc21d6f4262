/**
 * /api/v1/mqtt-users over real HTTP (docs/mqtt-users.md): the lifecycle,
 * who may do what, tenant isolation, the audit trail, and a precise 4xx
 * for every kind of bad input.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { assertProblem, errorPaths, type List, userClient } from '../helpers/fixtures.js';
import { type Client, client, login } from '../helpers/http.js';
import { connect, end } from '../helpers/mqtt.js';

interface MqttUserBody {
  tenant: string;
  username: string;
  rules: { permission: string; action: string; topic: string }[];
  sys: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  lastLoginAt: string | null;
  secret?: string;
}

const PLANT = [
  { permission: 'deny', action: 'subscribe', topic: 'plant/secret/#' },
  { permission: 'allow', action: 'both', topic: 'plant/%u/#' },
];
const BASE = '/api/v1/mqtt-users';
const names = (r: { status: number; body: unknown }) => {
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return (r.body as List<MqttUserBody>).items.map((u) => u.username);
};

let app: TestApp;
let root: Client;
let acme: Client;
let globex: Client;

before(async () => {
  app = await startTestApp();
  root = await login(app.url, app.admin.username, app.admin.password);
  for (const id of ['acme', 'globex']) {
    assert.equal((await root.post('/api/v1/tenants', { id, name: id })).status, 201);
  }
  [acme, globex] = await Promise.all([
    userClient(root, app.url, { username: 'acme-admin', role: 'admin', tenant: 'acme' }),
    userClient(root, app.url, { username: 'globex-admin', role: 'admin', tenant: 'globex' }),
  ]);
});
after(() => app?.stop());

describe('lifecycle', () => {
  test('create shows the secret once; list and get never do; update, rotate, delete', async () => {
    const made = await acme.post<MqttUserBody>(BASE, { username: 'node-red', rules: PLANT });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const { secret, createdAt, updatedAt, ...rest } = made.body;
    assert.match(secret ?? '', /^[A-Za-z0-9_-]{43}$/, '256-bit base64url');
    assert.equal(createdAt, updatedAt);
    assert.deepEqual(rest, {
      tenant: 'acme',
      username: 'node-red',
      rules: PLANT,
      sys: 'tenant',
      createdBy: 'user:acme-admin',
      lastLoginAt: null,
    });

    const list = await acme.get<List<MqttUserBody>>(BASE);
    assert.deepEqual(names(list), ['node-red']);
    assert.ok(!('secret' in (list.body.items[0] ?? {})), 'list never shows a secret');
    const one = await acme.get<MqttUserBody>(`${BASE}/node-red`);
    assert.equal(one.status, 200);
    assert.ok(!('secret' in one.body));
    assert.deepEqual(one.body.rules, PLANT);

    const rules = [{ permission: 'allow', action: 'subscribe', topic: 'devices/+/telemetry' }];
    const patched = await acme.patch<MqttUserBody>(`${BASE}/node-red`, { rules });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual(patched.body.rules, rules);
    assert.ok(patched.body.updatedAt >= createdAt);
    assert.deepEqual((await acme.get<MqttUserBody>(`${BASE}/node-red`)).body.rules, rules);
    const unchanged = await acme.patch<MqttUserBody>(`${BASE}/node-red`, {});
    assert.deepEqual(unchanged.body.rules, rules, 'an empty patch changes nothing');

    // The secret logs in over MQTT (as node-red@acme); a wrong one does not.
    const as = (password = '') => ({ username: 'node-red@acme', password, clientId: 'nr-1' });
    await end(await connect(app, undefined, as(secret)));
    await assert.rejects(connect(app, undefined, as(`${secret}x`)), /Bad User Name or Password/i);

    const rotated = await acme.post<MqttUserBody>(`${BASE}/node-red/secret`);
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    assert.match(rotated.body.secret ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(rotated.body.secret, secret);
    assert.deepEqual(rotated.body.rules, rules, 'rotation keeps the rules');
    await assert.rejects(connect(app, undefined, as(secret)), /Bad User Name or Password/i);
    await end(await connect(app, undefined, as(rotated.body.secret)));
    const seen = await acme.get<MqttUserBody>(`${BASE}/node-red`);
    assert.ok(
      seen.body.lastLoginAt !== null && seen.body.lastLoginAt >= createdAt,
      'lastLoginAt set by the login',
    );

    assert.equal((await acme.del(`${BASE}/node-red`)).status, 204);
    assertProblem(await acme.get(`${BASE}/node-red`), 404, 'AUTH_MQTT_USER_NOT_FOUND');
    assertProblem(await acme.del(`${BASE}/node-red`), 404, 'AUTH_MQTT_USER_NOT_FOUND');
    assertProblem(await acme.post(`${BASE}/node-red/secret`), 404, 'AUTH_MQTT_USER_NOT_FOUND');
    assertProblem(await acme.patch(`${BASE}/node-red`, { rules }), 404, 'AUTH_MQTT_USER_NOT_FOUND');
  });

  test('a user without rules may be created (it may do nothing yet); lists page by name', async () => {
    for (const n of ['p-3', 'p-1', 'p-2']) assert.equal((await acme.post(BASE, { username: n })).status, 201);
    assert.deepEqual((await acme.get<MqttUserBody>(`${BASE}/p-1`)).body.rules, []);
    const first = await acme.get<List<MqttUserBody>>(`${BASE}?limit=2`);
    assert.deepEqual(names(first), ['p-1', 'p-2']);
    const next = await acme.get<List<MqttUserBody>>(
      `${BASE}?limit=2&cursor=${encodeURIComponent(first.body.next ?? '')}`,
    );
    assert.deepEqual(names(next), ['p-3']);
    assert.equal(next.body.next, undefined);
    for (const n of ['p-1', 'p-2', 'p-3']) assert.equal((await acme.del(`${BASE}/${n}`)).status, 204);
  });

  test('every change is in the audit log, never with a secret', async () => {
    assert.equal((await acme.post(BASE, { username: 'audited', rules: PLANT })).status, 201);
    assert.equal((await acme.patch(`${BASE}/audited`, { rules: [] })).status, 200);
    assert.equal((await acme.post(`${BASE}/audited/secret`)).status, 200);
    assert.equal((await acme.del(`${BASE}/audited`)).status, 204);
    const log = await acme.get<
      List<{ action: string; resourceId: string; status: number; details: unknown }>
    >('/api/v1/audit?resource=mqtt-user&resourceId=audited');
    assert.equal(log.status, 200, JSON.stringify(log.body));
    assert.deepEqual(log.body.items.map((e) => [e.action, e.status]).reverse(), [
      ['mqtt-user.create', 201],
      ['mqtt-user.update', 200],
      ['mqtt-user.rotate-secret', 200],
      ['mqtt-user.delete', 204],
    ]);
    assert.doesNotMatch(JSON.stringify(log.body), /secret"\s*:\s*"[A-Za-z0-9_-]{43}/);
  });
});

describe('roles', () => {
  let viewer: Client;
  let operator: Client;
  before(async () => {
    [viewer, operator] = await Promise.all([
      userClient(acme, app.url, { username: 'acme-viewer', role: 'viewer' }),
      userClient(acme, app.url, { username: 'acme-operator', role: 'operator' }),
    ]);
    assert.equal((await acme.post(BASE, { username: 'grafana', rules: PLANT })).status, 201);
  });

  test('viewers and operators may neither read nor manage MQTT users', async () => {
    for (const [c, role] of [
      [viewer, 'viewer'],
      [operator, 'operator'],
    ] as const) {
      for (const [method, path, body] of [
        ['GET', BASE],
        ['GET', `${BASE}/grafana`],
        ['POST', BASE, { username: 'mine', rules: PLANT }],
        ['PATCH', `${BASE}/grafana`, { rules: [] }],
        ['POST', `${BASE}/grafana/secret`],
        ['DELETE', `${BASE}/grafana`],
      ] as const) {
        const p = assertProblem(await c.call(method, path, body), 403, 'AUTH_FORBIDDEN');
        assert.match(p.detail, new RegExp(`the ${role} role may not (read|manage) MQTT users`));
      }
    }
    assert.deepEqual(names(await acme.get(BASE)), ['grafana'], 'nothing changed');
  });

  test('an admin API key manages MQTT users and is recorded as their creator', async () => {
    const key = await acme.post<{ key: string; id: string }>('/api/v1/apikeys', {
      name: 'ci',
      role: 'admin',
    });
    const ci = client(app.url, key.body.key);
    const made = await ci.post<MqttUserBody>(BASE, { username: 'from-ci' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.equal(made.body.createdBy, `apikey:${key.body.id}`);
    assert.equal((await ci.del(`${BASE}/from-ci`)).status, 204);
  });

  test('sys "platform" is for platform admins only, and so is a user that has it', async () => {
    const refused = assertProblem(
      await acme.post(BASE, { username: 'sys-watch', sys: 'platform' }),
      403,
      'AUTH_FORBIDDEN',
    );
    assert.match(refused.detail, /only platform admins/);
    assertProblem(await acme.patch(`${BASE}/grafana`, { sys: 'platform' }), 403, 'AUTH_FORBIDDEN');

    const asAcme = { 'plexus-tenant': 'acme' };
    const made = await root.post<MqttUserBody>(BASE, { username: 'sys-watch', sys: 'platform' }, asAcme);
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.equal(made.body.sys, 'platform');
    assert.equal(made.body.tenant, 'acme');
    // The tenant admin sees it, but may not take it over (a new secret would give them platform figures).
    assert.equal((await acme.get<MqttUserBody>(`${BASE}/sys-watch`)).body.sys, 'platform');
    for (const [method, path, body] of [
      ['PATCH', `${BASE}/sys-watch`, { rules: PLANT }],
      ['PATCH', `${BASE}/sys-watch`, { sys: 'tenant' }],
      ['POST', `${BASE}/sys-watch/secret`],
      ['DELETE', `${BASE}/sys-watch`],
    ] as const) {
      assertProblem(await acme.call(method, path, body), 403, 'AUTH_FORBIDDEN');
    }
    const down = await root.call('PATCH', `${BASE}/sys-watch`, { sys: 'tenant' }, asAcme);
    assert.equal(down.status, 200, JSON.stringify(down.body));
    assert.equal((await acme.del(`${BASE}/sys-watch`)).status, 204, 'an ordinary user again');
  });
});

describe('tenants', () => {
  before(async () => {
    assert.equal((await acme.post(BASE, { username: 'plc-1', rules: PLANT })).status, 201);
  });

  test("another tenant's user answers 404 to everything; the same name may live in both", async () => {
    assert.deepEqual(names(await globex.get(BASE)), []);
    assertProblem(await globex.get(`${BASE}/plc-1`), 404, 'AUTH_MQTT_USER_NOT_FOUND');
    assertProblem(await globex.patch(`${BASE}/plc-1`, { rules: [] }), 404, 'AUTH_MQTT_USER_NOT_FOUND');
    assertProblem(await globex.post(`${BASE}/plc-1/secret`), 404, 'AUTH_MQTT_USER_NOT_FOUND');
    assertProblem(await globex.del(`${BASE}/plc-1`), 404, 'AUTH_MQTT_USER_NOT_FOUND');
    assert.deepEqual((await acme.get<MqttUserBody>(`${BASE}/plc-1`)).body.rules, PLANT, 'untouched');

    const theirs = await globex.post<MqttUserBody>(BASE, { username: 'plc-1' });
    assert.equal(theirs.status, 201, JSON.stringify(theirs.body));
    assert.equal(theirs.body.tenant, 'globex');
    assert.equal((await globex.del(`${BASE}/plc-1`)).status, 204);
    assert.ok(names(await acme.get(BASE)).includes('plc-1'), "acme's stays");
  });

  test('platform admins act in a tenant by header; an unknown tenant is a 404', async () => {
    assert.ok(names(await root.get(BASE, { 'plexus-tenant': 'acme' })).includes('plc-1'));
    assert.deepEqual(names(await root.get(BASE)), [], 'tenant default has none');
    for (const r of [
      await root.get(BASE, { 'plexus-tenant': 'nowhere' }),
      await root.post(BASE, { username: 'x' }, { 'plexus-tenant': 'nowhere' }),
    ]) {
      const p = assertProblem(r, 404, 'REGISTRY_TENANT_NOT_FOUND');
      assert.match(p.detail, /tenant nowhere does not exist/);
    }
  });

  test('deleting a tenant deletes its MQTT users: a tenant made again with the name starts empty', async () => {
    assert.equal((await root.post('/api/v1/tenants', { id: 'shortlived' })).status, 201);
    const h = { 'plexus-tenant': 'shortlived' };
    assert.equal((await root.post(BASE, { username: 'temp' }, h)).status, 201);
    assert.equal((await root.del('/api/v1/tenants/shortlived')).status, 204);
    assert.equal((await root.post('/api/v1/tenants', { id: 'shortlived' })).status, 201);
    assert.deepEqual(names(await root.get(BASE, h)), []);
    assertProblem(await root.get(`${BASE}/temp`, h), 404, 'AUTH_MQTT_USER_NOT_FOUND');
  });
});

describe('names shared with devices', () => {
  test('a user name equal to a device id of the tenant is refused, and the other way round', async () => {
    assert.equal((await acme.post('/api/v1/devices', { id: 'press-7' })).status, 201);
    const p = assertProblem(await acme.post(BASE, { username: 'press-7' }), 409, 'AUTH_MQTT_USER_NAME_TAKEN');
    assert.match(p.detail, /press-7 is a device of this tenant/);

    assert.equal((await acme.post(BASE, { username: 'line-4' })).status, 201);
    const d = assertProblem(
      await acme.post('/api/v1/devices', { id: 'line-4' }),
      409,
      'REGISTRY_DEVICE_ID_TAKEN',
    );
    assert.match(d.detail, /line-4 is an MQTT user of this tenant/);
    // Names are per tenant: globex may use both.
    assert.equal((await globex.post(BASE, { username: 'press-7' })).status, 201);
    assert.equal((await globex.post('/api/v1/devices', { id: 'line-4' })).status, 201);
  });

  test('a duplicate user name is a 409', async () => {
    assert.equal((await acme.post(BASE, { username: 'twice' })).status, 201);
    const p = assertProblem(await acme.post(BASE, { username: 'twice' }), 409, 'AUTH_MQTT_USER_EXISTS');
    assert.match(p.detail, /MQTT user twice already exists/);
  });
});

describe('bad input: a precise 4xx for each', () => {
  const invalid = async (body: unknown, code: string, detail: RegExp, paths?: string[]) => {
    const p = assertProblem(await acme.post(BASE, body), 400, code);
    assert.match(p.detail, detail);
    if (paths) assert.deepEqual(errorPaths(p), paths);
    return p;
  };

  test('unknown keys, at the top and in a rule', async () => {
    await invalid({ username: 'u1', role: 'admin' }, 'API_VALIDATION', /\/body\/role: is not a known field/, [
      '/body/role',
    ]);
    await invalid(
      { username: 'u1', rules: [{ permission: 'allow', action: 'both', topic: 'a/#', qos: 1 }] },
      'API_VALIDATION',
      /\/body\/rules\/0\/qos: is not a known field/,
    );
    await invalid({ username: 'u1', rules: PLANT, unknown: true }, 'API_VALIDATION', /\/body\/unknown/);
    const patch = assertProblem(
      await acme.patch(`${BASE}/twice`, { username: 'renamed' }),
      400,
      'API_VALIDATION',
    );
    assert.deepEqual(errorPaths(patch), ['/body/username']);
  });

  test('wrong types and values', async () => {
    await invalid({ username: 7 }, 'API_VALIDATION', /\/body\/username: must be string/);
    await invalid({ username: 'u1', rules: 'allow all' }, 'API_VALIDATION', /\/body\/rules: must be array/);
    await invalid(
      { username: 'u1', sys: 'global' },
      'API_VALIDATION',
      /\/body\/sys: must be one of: "tenant", "platform"/,
    );
    await invalid(
      { username: 'u1', rules: [{ permission: 'permit', action: 'read', topic: 7 }] },
      'API_VALIDATION',
      /\/body\/rules\/0\/permission: must be one of: "allow", "deny"/,
    );
    await invalid({}, 'API_VALIDATION', /\/body\/username: is required/);
    await invalid(
      { username: 'u1', rules: [{ permission: 'allow', action: 'both' }] },
      'API_VALIDATION',
      /\/body\/rules\/0\/topic: is required/,
    );
  });

  test('invalid filters and placeholders inside a level, named by their index', async () => {
    const rule = (topic: string) => ({ permission: 'allow', action: 'both', topic });
    await invalid(
      { username: 'u1', rules: [rule('ok/#'), rule('a/#/b')] },
      'AUTH_MQTT_USER_INVALID',
      /^rules\[1\]\.topic: is not a valid topic filter: '#' must be the whole last level$/,
      ['/body/rules/1/topic'],
    );
    await invalid(
      { username: 'u1', rules: [rule('ok/#'), rule('x/+'), rule('plant/a%u/#')] },
      'AUTH_MQTT_USER_INVALID',
      /^rules\[2\]\.topic: placeholder must fill a whole level, got "a%u"$/,
      ['/body/rules/2/topic'],
    );
    await invalid(
      { username: 'u1', rules: [rule('a+/b')] },
      'AUTH_MQTT_USER_INVALID',
      /'\+' must occupy a whole level/,
    );
    await invalid(
      { username: 'u1', rules: [rule('')] },
      'AUTH_MQTT_USER_INVALID',
      /rules\[0\]\.topic: .*must not be empty/,
    );
    await invalid(
      { username: 'u1', rules: [rule('$share/g/plant/#')] },
      'AUTH_MQTT_USER_INVALID',
      /must not be a shared subscription/,
    );
    // Several problems are reported at once, the user name's with them.
    const p = await invalid(
      { username: 'a/b', rules: [rule('x/%c%u'), rule('#/x')] },
      'AUTH_MQTT_USER_INVALID',
      /^username: must not contain "\/".*; rules\[0\]\.topic: .*; rules\[1\]\.topic: /,
    );
    assert.deepEqual(errorPaths(p), ['/body/username', '/body/rules/0/topic', '/body/rules/1/topic']);
    const patch = assertProblem(
      await acme.patch(`${BASE}/twice`, { rules: [rule('a/%u%c')] }),
      400,
      'AUTH_MQTT_USER_INVALID',
    );
    assert.match(patch.detail, /^rules\[0\]\.topic: placeholder must fill a whole level/);
  });

  test('too many rules', async () => {
    const rules = Array.from({ length: 101 }, (_, i) => ({
      permission: 'allow',
      action: 'both',
      topic: `t/${i}`,
    }));
    await invalid(
      { username: 'u1', rules },
      'API_VALIDATION',
      /\/body\/rules: must NOT have more than 100 items/,
    );
    assert.equal((await acme.post(BASE, { username: 'hundred', rules: rules.slice(0, 100) })).status, 201);
  });

  test('hostile user names are refused with the reason', async () => {
    const cases: [string, RegExp][] = [
      ['+', /^username: must not contain "\+" \(an MQTT wildcard\)$/],
      ['#', /^username: must not contain "#" \(an MQTT wildcard\)$/],
      ['a/b', /^username: must not contain "\/" \(it separates topic levels\)$/],
      ['$SYS', /^username: must not start with "\$"/],
      ['x@y', /^username: must not contain "@" \(it separates the user name from the tenant/],
      ['', /^username: must not be empty$/],
      ['apikey', /^username: "apikey" is reserved/],
      ['a'.repeat(65), /^username: must not exceed 64 characters$/],
      ['-x', /^username: must start with a letter or a digit$/],
    ];
    for (const [username, why] of cases) {
      await invalid({ username }, 'AUTH_MQTT_USER_INVALID', why, ['/body/username']);
    }
    // U+0000 is refused by the API's validator for every string, before any context sees it.
    await invalid(
      { username: 'nul\u0000x' },
      'API_VALIDATION',
      /\/body\/username: must not contain the character U\+0000/,
    );
    assert.deepEqual(
      names(await acme.get(`${BASE}?limit=1000`)).filter((n) => !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(n)),
      [],
      'none was created',
    );
    // In a URL, a name outside the grammar is a 400 too (never another user's).
    assertProblem(await acme.get(`${BASE}/${encodeURIComponent('$SYS')}`), 400, 'API_VALIDATION');
    assertProblem(await acme.get(`${BASE}/${encodeURIComponent('+')}`), 400, 'API_VALIDATION');
  });

  test('malformed JSON and a non-JSON body', async () => {
    assertProblem(
      await acme.call('POST', BASE, '{"username": ', { 'content-type': 'application/json' }),
      400,
      'API_MALFORMED_JSON',
    );
    assertProblem(
      await acme.call('POST', BASE, 'username=x', { 'content-type': 'text/plain' }),
      415,
      'API_UNSUPPORTED_MEDIA_TYPE',
    );
  });
});

test('the OpenAPI document describes the routes with strict bodies', async () => {
  const doc = await client(app.url).get<{
    paths: Record<
      string,
      Record<string, { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }>
    >;
  }>('/api/docs/json');
  assert.equal(doc.status, 200);
  const list = doc.body.paths[BASE];
  assert.ok(list?.get && list.post);
  const one = doc.body.paths[`${BASE}/{username}`];
  assert.ok(one?.get && one.patch && one.delete);
  assert.ok(doc.body.paths[`${BASE}/{username}/secret`]?.post);
  for (const op of [list.post, one.patch]) {
    assert.equal(op.requestBody?.content['application/json']?.schema.additionalProperties, false);
  }
});
