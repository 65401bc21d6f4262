/**
 * Rules over the real platform: REST (versions, enable/disable, apply,
 * RULE_INVALID paths, roles, tenants, audit) and `plexus rules apply`
 * run as a user would run it, with an admin API key.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { assertProblem, errorPaths, type List, userClient } from '../helpers/fixtures.js';
import { type Client, client } from '../helpers/http.js';
import { adminClient } from '../helpers/mqtt.js';

interface Rule {
  name: string;
  version: number;
  enabled: boolean;
  spec: Record<string, unknown> & { actions: Record<string, unknown>[] };
  updatedBy: string;
}

const overheat = (limit = 80) => ({
  name: 'overheat',
  target: { profile: 'press' },
  condition: { type: 'threshold', key: 'temp', op: '>', value: limit },
  alarm: { type: 'overheat', severity: 'major' },
  actions: [{ type: 'webhook', url: 'https://hooks.example.com/x', secret: 'a-very-long-signing-key' }],
});

let app: TestApp;
let admin: Client;
let adminKey: string;
let home: string;

/** The CLI with an admin API key. */
const cli = (args: string[]) =>
  runCli(args, {
    PLEXUS_URL: app.url,
    PLEXUS_API_KEY: adminKey,
    PLEXUS_CONFIG_DIR: join(home, 'config'),
    HOME: home,
  });

before(async () => {
  app = await startTestApp();
  admin = await adminClient(app);
  const k = await admin.post<{ key: string }>('/api/v1/apikeys', { name: 'rules-ci', role: 'admin' });
  assert.equal(k.status, 201, JSON.stringify(k.body));
  adminKey = k.body.key;
  home = await mkdtemp(join(tmpdir(), 'plexus-rules-cli-'));
});

after(async () => {
  await app?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('rules over REST', () => {
  test('PUT creates (201), an identical PUT adds no version (200), a change is version 2', async () => {
    const created = await admin.call<Rule>('PUT', '/api/v1/rules/overheat', overheat());
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual([created.body.version, created.body.enabled], [1, true]);
    const same = await admin.call<Rule>('PUT', '/api/v1/rules/overheat', overheat());
    assert.deepEqual([same.status, same.body.version], [200, 1]);
    const changed = await admin.call<Rule>('PUT', '/api/v1/rules/overheat', overheat(90));
    assert.deepEqual([changed.status, changed.body.version], [200, 2]);
    assert.equal((await admin.get<Rule>('/api/v1/rules/overheat')).body.version, 2);
    const versions = await admin.get<List<{ version: number }>>('/api/v1/rules/overheat/versions');
    assert.deepEqual(
      versions.body.items.map((v) => v.version),
      [2, 1],
    );
    const posted = await admin.post<Rule>('/api/v1/rules', { ...overheat(), name: 'overheat-2' });
    assert.deepEqual([posted.status, posted.body.name], [201, 'overheat-2']);
    const list = await admin.get<List<Rule>>('/api/v1/rules?limit=1');
    assert.deepEqual(
      list.body.items.map((r) => r.name),
      ['overheat'],
    );
    assert.equal(typeof list.body.next, 'string');
  });

  test('RULE_INVALID names every problem by its path in the body; a name mismatch is refused', async () => {
    const bad = { ...overheat(), condition: { type: 'threshold', key: 'temp', op: '=>', value: 1 }, x: 1 };
    const p = assertProblem(await admin.call('PUT', '/api/v1/rules/overheat', bad), 400, 'RULE_INVALID');
    assert.ok(errorPaths(p).includes('/body/condition/op'), errorPaths(p).join());
    assert.ok(errorPaths(p).includes('/body/x'), errorPaths(p).join());
    const m = assertProblem(
      await admin.call('PUT', '/api/v1/rules/cooling', overheat()),
      400,
      'RULE_NAME_MISMATCH',
    );
    assert.deepEqual(errorPaths(m), ['/body/name']);
    assert.equal((await admin.get<Rule>('/api/v1/rules/overheat')).body.version, 2, 'nothing changed');
  });

  test('enable and disable are versions; the list filters on enabled', async () => {
    const off = await admin.post<Rule>('/api/v1/rules/overheat/disable');
    assert.deepEqual([off.status, off.body.enabled, off.body.version], [200, false, 3]);
    const disabled = await admin.get<List<Rule>>('/api/v1/rules?enabled=false');
    assert.deepEqual(
      disabled.body.items.map((r) => r.name),
      ['overheat'],
    );
    const on = await admin.post<Rule>('/api/v1/rules/overheat/enable');
    assert.deepEqual([on.body.enabled, on.body.version], [true, 4]);
  });

  test('apply is all or nothing, with problems at /body/rules/<i>/...', async () => {
    const rules = [
      { ...overheat(), name: 'a' },
      { ...overheat(), name: 'b', alarm: { type: 'x', severity: 'huge' } },
      { ...overheat(), name: 'c' },
    ];
    const p = assertProblem(await admin.post('/api/v1/rules/apply', { rules }), 400, 'RULE_INVALID');
    assert.deepEqual(errorPaths(p), ['/body/rules/1/alarm/severity']);
    assertProblem(await admin.get('/api/v1/rules/a'), 404, 'RULE_NOT_FOUND');
    rules[1] = { ...overheat(), name: 'b' };
    const ok = await admin.post<{ results: unknown[] }>('/api/v1/rules/apply', { rules });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(ok.body.results, [
      { name: 'a', version: 1, change: 'created' },
      { name: 'b', version: 1, change: 'created' },
      { name: 'c', version: 1, change: 'created' },
    ]);
  });

  test('operators read rules (signing keys hidden) but may not write them', async () => {
    const k = await admin.post<{ key: string }>('/api/v1/apikeys', { name: 'ops', role: 'operator' });
    const ops = client(app.url, k.body.key);
    const read = await ops.get<Rule>('/api/v1/rules/overheat');
    assert.equal(read.status, 200);
    assert.equal(read.body.spec.actions[0]?.secret, '(hidden)');
    assert.equal(
      (await admin.get<Rule>('/api/v1/rules/overheat')).body.spec.actions[0]?.secret,
      overheat().actions[0]?.secret,
    );
    assertProblem(await ops.call('PUT', '/api/v1/rules/overheat', overheat(1)), 403, 'AUTH_FORBIDDEN');
    assertProblem(await ops.post('/api/v1/rules/overheat/disable'), 403, 'AUTH_FORBIDDEN');
    assertProblem(await ops.post('/api/v1/rules/apply', { rules: [] }), 403, 'AUTH_FORBIDDEN');
    assertProblem(await ops.del('/api/v1/rules/overheat'), 403, 'AUTH_FORBIDDEN');
  });

  test("another tenant's rules answer 404", async () => {
    assert.equal((await admin.post('/api/v1/tenants', { id: 'globex' })).status, 201);
    const globex = await userClient(admin, app.url, {
      username: 'globex-admin',
      role: 'admin',
      tenant: 'globex',
    });
    assertProblem(await globex.get('/api/v1/rules/overheat'), 404, 'RULE_NOT_FOUND');
    assertProblem(await globex.post('/api/v1/rules/overheat/disable'), 404, 'RULE_NOT_FOUND');
    assertProblem(await globex.del('/api/v1/rules/overheat'), 404, 'RULE_NOT_FOUND');
    assert.deepEqual((await globex.get<List<Rule>>('/api/v1/rules')).body.items, []);
  });

  test('changes are audited; DELETE removes the rule (204)', async () => {
    assert.equal((await admin.del('/api/v1/rules/overheat-2')).status, 204);
    assertProblem(await admin.get('/api/v1/rules/overheat-2'), 404, 'RULE_NOT_FOUND');
    assertProblem(await admin.del('/api/v1/rules/overheat-2'), 404, 'RULE_NOT_FOUND');
    const audit = await admin.get<List<{ action: string; resourceId: string | null }>>(
      '/api/v1/audit?resource=rule&limit=100',
    );
    const seen = audit.body.items.map((r) => `${r.action}:${r.resourceId}`);
    for (const e of [
      'rule.save:overheat',
      'rule.save:overheat-2',
      'rule.disable:overheat',
      'rule.delete:overheat-2',
    ])
      assert.ok(seen.includes(e), `${e} in ${seen.join()}`);
    assert.ok(
      seen.some((s) => s.startsWith('rule.apply:')),
      seen.join(),
    );
  });
});

describe('plexus rules', () => {
  const yaml = (limit: number) => `rules:
  - name: cli-heat
    target: {profile: press}
    condition: {type: threshold, key: temp, op: ">", value: ${limit}}
    alarm: {type: overheat, severity: critical}
  - name: cli-cold
    target: {labels: {site: lyon}}
    condition: {type: threshold, key: temp, op: "<", value: 0}
    alarm: {type: cold}
`;

  test('apply creates, then reports unchanged, then updated; list and show read them back', async () => {
    const file = join(home, 'rules.yaml');
    await writeFile(file, yaml(80));
    const first = await cli(['rules', 'apply', file]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^created\s+cli-heat \(version 1\)$/m);
    assert.match(first.stdout, /^created\s+cli-cold \(version 1\)$/m);
    const again = await cli(['rules', 'apply', file]);
    assert.match(again.stdout, /^unchanged\s+cli-heat \(version 1\)$/m);
    await writeFile(file, yaml(85));
    const third = await cli(['rules', 'apply', file]);
    assert.match(third.stdout, /^updated\s+cli-heat \(version 2\)$/m);
    assert.match(third.stdout, /^unchanged\s+cli-cold \(version 1\)$/m);
    const list = await cli(['rules', 'list']);
    assert.match(list.stdout, /^cli-cold\s+1\s+yes\s+site=lyon$/m);
    assert.match(list.stdout, /^cli-heat\s+2\s+yes\s+profile=press$/m);
    const shown = await cli(['rules', 'show', 'cli-heat']);
    assert.match(shown.stdout, /^throttle: 60s$/m);
    // What `show` prints is a document `apply` takes back unchanged.
    const back = join(home, 'back.yaml');
    await writeFile(back, shown.stdout);
    assert.match((await cli(['rules', 'apply', back])).stdout, /^unchanged\s+cli-heat \(version 2\)$/m);
    const off = await cli(['rules', 'disable', 'cli-heat']);
    assert.match(off.stdout, /cli-heat disabled \(version 3\)/);
    assert.equal((await cli(['rules', 'delete', 'cli-cold', '--yes'])).code, 0);
  });

  test('a file with problems applies nothing, prints each path and message, and exits 1', async () => {
    const file = join(home, 'bad.json');
    await writeFile(
      file,
      JSON.stringify([
        {
          name: 'ok-one',
          target: { profile: 'press' },
          condition: { type: 'threshold', key: 't', op: '>', value: 1 },
          alarm: { type: 'x' },
        },
        {
          name: 'bad-one',
          target: { profile: 'press' },
          condition: { type: 'threshold', key: 't', op: '=>', value: 1 },
          alarm: { type: 'x' },
        },
      ]),
    );
    const run = await cli(['rules', 'apply', file]);
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stderr, /nothing was applied/);
    assert.match(run.stderr, /rule 2 \(bad-one\): \/condition\/op: /);
    assertProblem(await admin.get('/api/v1/rules/ok-one'), 404, 'RULE_NOT_FOUND');
  });
});
