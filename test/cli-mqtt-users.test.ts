/**
 * `plexus mqtt-users` as a user runs it, against the real platform: rules
 * from flags and files in the order given, the secret shown once with a
 * ready mosquitto line, --json everywhere, and exit 2 for usage mistakes.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from './helpers/app.js';
import { type CliRun as Run, runCli } from './helpers/cli.js';
import { type Client, login } from './helpers/http.js';
import { connect, end } from './helpers/mqtt.js';

let app: TestApp;
let admin: Client;
let key: string;
let home: string;

const cli = (args: string[], env: Record<string, string> = {}): Promise<Run> =>
  runCli(args, { PLEXUS_URL: app.url, PLEXUS_API_KEY: key, HOME: home, PLEXUS_CONFIG_DIR: home, ...env });

function ok(run: Run): Run {
  assert.equal(run.code, 0, `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  return run;
}

function fails(run: Run, code: number, stderr: RegExp): void {
  assert.equal(run.code, code, `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  assert.match(run.stderr, stderr);
}

const rulesOf = async (name: string) =>
  (await admin.get<{ rules: unknown[] }>(`/api/v1/mqtt-users/${name}`)).body.rules;

before(async () => {
  app = await startTestApp();
  admin = await login(app.url, app.admin.username, app.admin.password);
  key = (await admin.post<{ key: string }>('/api/v1/apikeys', { name: 'cli', role: 'admin' })).body.key;
  home = await mkdtemp(join(tmpdir(), 'plexus-cli-mqtt-users-'));
});
after(async () => {
  await app?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('plexus mqtt-users', () => {
  test('help lists the command and every subcommand shows an example', async () => {
    assert.match(ok(await cli(['--help'])).stdout, /^ {2}mqtt-users\b/m);
    const group = ok(await cli(['mqtt-users', '--help'])).stdout;
    const subs = ['create', 'list', 'show', 'update', 'delete', 'rotate-secret'];
    const helps = await Promise.all(subs.map((sub) => cli(['mqtt-users', sub, '--help'])));
    subs.forEach((sub, i) => {
      assert.match(group, new RegExp(`^ {2}${sub}\\b`, 'm'), sub);
      assert.match(
        ok(helps[i] as Run).stdout,
        new RegExp(`Examples?:\\n {2}\\$ plexus mqtt-users ${sub}`),
        sub,
      );
    });
  });

  test('create: rules in the order given, files in place; the secret once with a mosquitto_sub line', async () => {
    const file = join(home, 'base.yaml');
    await writeFile(
      file,
      'rules:\n  - {permission: deny, action: publish, topic: plant/%u/ro/#}\n  - {permission: allow, action: subscribe, topic: devices/+/telemetry}\n',
    );
    const run = ok(
      await cli([
        'mqtt-users',
        'create',
        'node-red',
        '--deny',
        'subscribe:plant/secret/#',
        '--rules',
        file,
        '--allow',
        'both:plant/%u/#',
      ]),
    );
    assert.deepEqual(await rulesOf('node-red'), [
      { permission: 'deny', action: 'subscribe', topic: 'plant/secret/#' },
      { permission: 'deny', action: 'publish', topic: 'plant/%u/ro/#' },
      { permission: 'allow', action: 'subscribe', topic: 'devices/+/telemetry' },
      { permission: 'allow', action: 'both', topic: 'plant/%u/#' },
    ]);
    const secret = /^Secret: (\S+)$/m.exec(run.stdout)?.[1];
    assert.match(secret ?? '', /^[A-Za-z0-9_-]{43}$/, run.stdout);
    assert.match(run.stdout, /will not be shown again/);
    assert.ok(
      run.stdout.includes(
        `mosquitto_sub -h 127.0.0.1 -p ${app.mqttPort} -u node-red -P '${secret}' -t devices/+/telemetry -v`,
      ),
      run.stdout,
    );
    // What the line says works: those credentials subscribe to that filter.
    const c = await connect(app, undefined, {
      username: 'node-red',
      password: secret ?? '',
      clientId: 'hint',
    });
    const [granted] = await c.subscribeAsync('devices/+/telemetry', { qos: 1 });
    assert.equal(granted?.qos, 1);
    await end(c);
  });

  test('a platform admin creates in another tenant: the line names user@tenant', async () => {
    assert.equal((await admin.post('/api/v1/tenants', { id: 'acme' })).status, 201);
    const token = (
      await admin.post<{ token: string }>('/api/v1/auth/login', {
        username: app.admin.username,
        password: app.admin.password,
      })
    ).body.token;
    const run = ok(
      await cli(['mqtt-users', 'create', 'plc-1', '--allow', 'publish:plc/%c/+/#', '--tenant', 'acme'], {
        PLEXUS_API_KEY: token,
      }),
    );
    assert.match(run.stdout, /Created MQTT user plc-1 in tenant acme with 1 rule\(s\)/);
    assert.match(
      run.stdout,
      /mosquitto_pub -h 127\.0\.0\.1 -p \d+ -i plc-1 -u plc-1@acme -P '\S+' -t plc\/plc-1\/x\/test -m 'hello'/,
    );
  });

  test('list, show and their --json', async () => {
    ok(await cli(['mqtt-users', 'create', 'grafana']));
    const table = ok(await cli(['mqtt-users', 'list'])).stdout;
    assert.match(table, /^USER NAME\s+RULES\s+FIRST RULE\s+\$SYS\s+CREATED BY\s+LAST LOGIN$/m);
    assert.match(table, /^grafana\s+0\s+tenant\s+apikey:key-\S+\s+never$/m);
    assert.match(
      table,
      /^node-red\s+4\s+deny subscribe plant\/secret\/#\s+tenant\s+apikey:key-\S+\s+(just now|\d+s ago)$/m,
    );
    const json = JSON.parse(ok(await cli(['mqtt-users', 'list', '--json'])).stdout);
    assert.deepEqual(
      json.items.map((u: { username: string }) => u.username),
      ['grafana', 'node-red'],
    );
    for (const u of json.items) assert.ok(!('secret' in u), 'a list never shows a secret');
    const show = ok(await cli(['mqtt-users', 'show', 'node-red'])).stdout;
    assert.match(show, /User name:\s+node-red/);
    assert.match(show, /Rules \(first match wins\):/);
    assert.match(show, /^1\s+deny\s+subscribe\s+plant\/secret\/#$/m);
    assert.match(show, /^4\s+allow\s+both\s+plant\/%u\/#$/m);
    assert.match(
      ok(await cli(['mqtt-users', 'show', 'grafana'])).stdout,
      /No rules: the user may do nothing/,
    );
    assert.equal(JSON.parse(ok(await cli(['mqtt-users', 'show', 'grafana', '--json'])).stdout).sys, 'tenant');
  });

  test('update replaces the rules (flags or a JSON file); nothing to update is a usage error', async () => {
    const run = ok(await cli(['mqtt-users', 'update', 'grafana', '--allow', 'subscribe:devices/#']));
    assert.match(run.stdout, /Updated MQTT user grafana/);
    assert.deepEqual(await rulesOf('grafana'), [
      { permission: 'allow', action: 'subscribe', topic: 'devices/#' },
    ]);
    const file = join(home, 'none.json');
    await writeFile(file, '[]');
    ok(await cli(['mqtt-users', 'update', 'grafana', '--rules', file]));
    assert.deepEqual(await rulesOf('grafana'), []);
    fails(
      await cli(['mqtt-users', 'update', 'grafana']),
      2,
      /nothing to update: pass at least one of --rules/,
    );
  });

  test('rotate-secret prints a new secret; --json carries it', async () => {
    const first = ok(await cli(['mqtt-users', 'rotate-secret', 'node-red'])).stdout;
    assert.match(first, /New secret for MQTT user node-red; the old one no longer works/);
    const s1 = /^Secret: (\S+)$/m.exec(first)?.[1];
    const s2 = JSON.parse(ok(await cli(['mqtt-users', 'rotate-secret', 'node-red', '--json'])).stdout).secret;
    assert.match(s2, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(s1, s2);
  });

  test('delete --yes; a missing user then exits 1 with the API problem', async () => {
    assert.match(
      ok(await cli(['mqtt-users', 'delete', 'grafana', '--yes'])).stdout,
      /Deleted MQTT user grafana/,
    );
    fails(
      await cli(['mqtt-users', 'show', 'grafana']),
      1,
      /MQTT user grafana does not exist \(AUTH_MQTT_USER_NOT_FOUND\)/,
    );
  });

  test('usage mistakes exit 2 with a precise message', async () => {
    const notList = join(home, 'map.yaml');
    await writeFile(notList, 'permission: allow\n');
    const broken = join(home, 'broken.yaml');
    await writeFile(broken, 'rules: [\n');
    const cases: [string[], RegExp][] = [
      [
        ['--allow', 'read:a/b'],
        /expected <action>:<topic> with action publish, subscribe or both.*got "read:a\/b"/,
      ],
      [['--deny', 'both:'], /got "both:"/],
      [['--allow', 'a/b'], /got "a\/b"/],
      [['--sys', 'global'], /Allowed choices are tenant, platform/],
      [['--rules', join(home, 'missing.yaml')], /cannot read .*missing\.yaml/],
      [['--rules', notList], /must hold a list of rules/],
      [['--rules', broken], /is not valid JSON or YAML/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(['mqtt-users', 'create', 'x', ...args])));
    for (const [i, [, why]] of cases.entries()) fails(runs[i] as Run, 2, why);
    fails(await cli(['mqtt-users', 'create']), 2, /missing required argument 'username'/);
    assert.equal((await admin.get('/api/v1/mqtt-users/x')).status, 404, 'nothing was created');
  });

  test("the server's refusals exit 1 and name the problem", async () => {
    fails(
      await cli(['mqtt-users', 'create', 'a+b']),
      1,
      /username: must not contain "\+" \(an MQTT wildcard\)/,
    );
    fails(
      await cli(['mqtt-users', 'create', 'x', '--allow', 'both:plant/a%u/#']),
      1,
      /rules\[0\]\.topic: placeholder must fill a whole level, got "a%u" \(AUTH_MQTT_USER_INVALID\)/,
    );
    fails(await cli(['mqtt-users', 'create', 'node-red']), 1, /AUTH_MQTT_USER_EXISTS/);
  });
});
