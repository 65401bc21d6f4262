import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from './helpers/app.js';
import { type CliRun as Run, runCli } from './helpers/cli.js';
import { type Client, client, login } from './helpers/http.js';
import { connect, end } from './helpers/mqtt.js';

/**
 * The compiled `plexus` CLI against the real platform: every test runs the
 * executable as a user would and checks exit code, output and server state.
 */

let app: TestApp;
let admin: Client;
let home: string;
let configDir: string;

function cli(
  args: string[],
  opts: { input?: string; env?: Record<string, string>; config?: string } = {},
): Promise<Run> {
  return runCli(
    args,
    { PLEXUS_URL: app.url, PLEXUS_CONFIG_DIR: opts.config ?? configDir, HOME: home, ...opts.env },
    opts.input,
  );
}

/** Fails with the CLI's output in the message, which is what one needs to see when it breaks. */
function ok(run: Run): Run {
  assert.equal(run.code, 0, `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  return run;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

before(async () => {
  app = await startTestApp();
  admin = await login(app.url, app.admin.username, app.admin.password);
  home = await mkdtemp(join(tmpdir(), 'plexus-cli-home-'));
  configDir = join(home, 'plexus-config');
});

after(async () => {
  await app?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('help and usage errors', () => {
  test('--help lists the commands and each command has an example', async () => {
    const top = ok(await cli(['--help']));
    for (const c of [
      'start',
      'init',
      'login',
      'devices',
      'profiles',
      'groups',
      'users',
      'apikeys',
      'tenants',
      'audit',
    ]) {
      assert.match(top.stdout, new RegExp(`^  ${c}\\b`, 'm'), c);
    }
    const create = ok(await cli(['devices', 'create', '--help']));
    assert.match(create.stdout, /register a device/);
    assert.match(create.stdout, /--label <key=value>/);
    assert.match(create.stdout, /Example:\n {2}\$ plexus devices create/);
  });

  test('unknown command, missing argument and malformed --label exit 2', async () => {
    const unknown = await cli(['devicez', 'list']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'devicez'/);
    const missing = await cli(['devices', 'show']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing required argument 'id'/);
    const label = await cli(['devices', 'create', 'x', '--label', 'no-equals-sign']);
    assert.equal(label.code, 2);
    assert.match(label.stderr, /expected key=value/);
  });

  test('an unreachable server says how to start one', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const run = await cli(['devices', 'list', '--api-key', 'k'], { env: { PLEXUS_URL: url } });
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr.trim(),
      `Error: cannot reach Plexus at ${url} (is it running? start it with: npx plexus start)`,
    );
  });

  test('without a login or key the CLI says what to do', async () => {
    const run = await cli(['devices', 'list']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /not logged in/);
    assert.match(run.stderr, /plexus login/);
    assert.match(run.stderr, /PLEXUS_API_KEY/);
  });
});

describe('session', () => {
  test('login with --password-stdin saves a private token; whoami uses it', async () => {
    const run = ok(
      await cli(['login', '--username', app.admin.username, '--password-stdin'], {
        input: `${app.admin.password}\n`,
      }),
    );
    assert.match(run.stdout, new RegExp(`Logged in to .* as ${app.admin.username}`));
    assert.equal((await stat(join(configDir, 'credentials.json'))).mode & 0o777, 0o600);
    const me = JSON.parse(ok(await cli(['whoami', '--json'])).stdout);
    assert.equal(me.id, app.admin.username);
    assert.equal(me.kind, 'user');
    assert.match(ok(await cli(['whoami'])).stdout, /admin in tenant default/);
  });

  test('a wrong password exits 1 with the server message', async () => {
    const run = await cli(['login', '-u', app.admin.username, '--password-stdin'], {
      input: 'wrong',
      config: join(home, 'other'),
    });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^Error: /);
  });
});

describe('devices', () => {
  let secret = '';

  test('create prints the secret once and a working mosquitto_pub line', async () => {
    ok(await cli(['groups', 'create', 'line-1']));
    const run = ok(
      await cli([
        'devices',
        'create',
        'press-7',
        '--name',
        'Press 7',
        '--group',
        'line-1',
        '--label',
        'site=lyon',
      ]),
    );
    const m = /Secret: (\S+)/.exec(run.stdout);
    assert.ok(m?.[1], run.stdout);
    secret = m[1];
    assert.match(run.stdout, /will not be shown again/);
    const info = await admin.get<{ mqtt?: { tcp?: number } }>('/api/v1/info');
    const port = info.body.mqtt?.tcp ?? 1883;
    assert.ok(
      run.stdout.includes(
        `mosquitto_pub -h 127.0.0.1 -p ${port} -i press-7 -u press-7 -P '${secret}' -t devices/press-7/telemetry -m '{"temperature":21.5}'`,
      ),
      run.stdout,
    );
    const d = await admin.get<{ name: string; groups: string[]; labels: Record<string, string> }>(
      '/api/v1/devices/press-7',
    );
    assert.equal(d.status, 200);
    assert.equal(d.body.name, 'Press 7');
    assert.deepEqual(d.body.groups, ['line-1']);
    assert.deepEqual(d.body.labels, { site: 'lyon' });
  });

  test('create --json is one parseable document with the secret', async () => {
    const body = JSON.parse(
      ok(await cli(['devices', 'create', 'sensor-1', '--label', 'site=paris', '--json'])).stdout,
    );
    assert.equal(body.id, 'sensor-1');
    assert.equal(typeof body.secret, 'string');
    assert.ok(body.secret.length >= 20);
  });

  test('list shows a table, filters by label and --json is the API document', async () => {
    const table = ok(await cli(['devices', 'list'])).stdout;
    assert.match(table, /^ID\s+NAME\s+PROFILE\s+STATUS\s+LAST SEEN\s+GROUPS$/m);
    assert.match(table, /^press-7\s+Press 7\s+default\s+\S+\s+never\s+line-1$/m);
    const lyon = JSON.parse(ok(await cli(['devices', 'list', '--label', 'site=lyon', '--json'])).stdout);
    assert.deepEqual(
      lyon.items.map((d: { id: string }) => d.id),
      ['press-7'],
    );
    const all = JSON.parse(ok(await cli(['devices', 'list', '--all', '--limit', '1', '--json'])).stdout);
    assert.deepEqual(all.items.map((d: { id: string }) => d.id).sort(), ['press-7', 'sensor-1']);
  });

  test('show displays the device without any secret', async () => {
    const run = ok(await cli(['devices', 'show', 'press-7']));
    assert.match(run.stdout, /Labels:\s+site=lyon/);
    assert.ok(!run.stdout.includes(secret));
  });

  test('update changes fields and disables; delete --yes removes it', async () => {
    ok(await cli(['devices', 'update', 'sensor-1', '--name', 'Sensor', '--label', 'site=nice', '--disable']));
    const d = await admin.get<{ name: string; enabled: boolean; labels: Record<string, string> }>(
      '/api/v1/devices/sensor-1',
    );
    assert.equal(d.body.name, 'Sensor');
    assert.equal(d.body.enabled, false);
    assert.deepEqual(d.body.labels, { site: 'nice' });
    const both = await cli(['devices', 'update', 'sensor-1', '--enable', '--disable']);
    assert.equal(both.code, 2);
    const run = ok(await cli(['devices', 'delete', 'sensor-1', '--yes']));
    assert.match(run.stdout, /Deleted device sensor-1/);
    assert.equal((await admin.get('/api/v1/devices/sensor-1')).status, 404);
  });

  test('show of a missing device exits 1 with the 404 problem', async () => {
    const run = await cli(['devices', 'show', 'ghost']);
    assert.equal(run.code, 1);
    const problem = await admin.get<{ title: string }>('/api/v1/devices/ghost');
    assert.equal(problem.status, 404);
    assert.ok(run.stderr.startsWith(`Error: ${problem.body.title}`), run.stderr);
  });

  test('rotate-secret --revoke-others leaves one credential; revoke-credential removes it', async () => {
    const run = ok(await cli(['devices', 'rotate-secret', 'press-7', '--revoke-others']));
    const m = /Secret: (\S+)/.exec(run.stdout);
    assert.ok(m?.[1] && m[1] !== secret, run.stdout);
    assert.match(run.stdout, /Revoked: /);
    const creds = await admin.get<{ items: { id: string }[] }>('/api/v1/devices/press-7/credentials');
    assert.equal(creds.body.items.length, 1);
    const credId = creds.body.items[0]?.id ?? '';
    assert.match(
      ok(await cli(['devices', 'credentials', 'press-7'])).stdout,
      new RegExp(`^${credId}\\s+secret`, 'm'),
    );
    ok(await cli(['devices', 'revoke-credential', 'press-7', credId]));
    const after = await admin.get<{ items: unknown[] }>('/api/v1/devices/press-7/credentials');
    assert.equal(after.body.items.length, 0);
  });

  test('a device in another tenant gets id@tenant as MQTT user name', async () => {
    ok(await cli(['tenants', 'create', 'acme', '--name', 'ACME']));
    const run = ok(await cli(['--tenant', 'acme', 'devices', 'create', 'pump-1']));
    assert.match(run.stdout, /-i pump-1 -u pump-1@acme -P '/);
    const inAcme = await admin.get('/api/v1/devices/pump-1', { 'plexus-tenant': 'acme' });
    assert.equal(inAcme.status, 200);
    assert.equal((await admin.get('/api/v1/devices/pump-1')).status, 404);
    assert.match(ok(await cli(['tenants', 'list'])).stdout, /^acme\s+ACME/m);
  });
});

describe('profiles and groups', () => {
  test('profiles create from a YAML file; devices may then use it', async () => {
    const file = join(home, 'press.yaml');
    await writeFile(
      file,
      'name: Hydraulic press\ntelemetry:\n  temperature: {type: number, unit: C, max: 200}\n',
    );
    ok(await cli(['profiles', 'create', 'press', '--file', file, '--description', 'presses']));
    const p = await admin.get<{ name: string; description: string; telemetry: Record<string, unknown> }>(
      '/api/v1/profiles/press',
    );
    assert.equal(p.body.name, 'Hydraulic press');
    assert.equal(p.body.description, 'presses');
    assert.deepEqual(p.body.telemetry, { temperature: { type: 'number', unit: 'C', max: 200 } });
    assert.match(ok(await cli(['profiles', 'show', 'press'])).stdout, /unit: C/);
    ok(await cli(['devices', 'update', 'press-7', '--profile', 'press']));
    assert.equal((await admin.get<{ profile: string }>('/api/v1/devices/press-7')).body.profile, 'press');
  });

  test('a nonexistent profile is refused with the server problem', async () => {
    const run = await cli(['devices', 'create', 'x-1', '--profile', 'no-such-profile']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^Error: .*no-such-profile/);
    assert.equal((await admin.get('/api/v1/devices/x-1')).status, 404);
  });

  test('groups list, show and delete', async () => {
    ok(await cli(['groups', 'create', 'line-2', '--name', 'Line 2', '--description', 'night']));
    assert.match(ok(await cli(['groups', 'list'])).stdout, /^line-2\s+Line 2\s+night$/m);
    assert.equal(JSON.parse(ok(await cli(['groups', 'show', 'line-2', '--json'])).stdout).name, 'Line 2');
    ok(await cli(['groups', 'delete', 'line-2', '--yes']));
    assert.equal((await admin.get('/api/v1/groups/line-2')).status, 404);
  });
});

describe('users, API keys and audit', () => {
  const viewerConfig = () => join(home, 'viewer-config');

  test('users create; the new user logs in; a viewer cannot write (403, exit 1)', async () => {
    ok(
      await cli(['users', 'create', 'vera', '--role', 'viewer', '--password-stdin'], {
        input: 'vera-password-123\n',
      }),
    );
    assert.equal((await admin.get<{ role: string }>('/api/v1/users/vera')).body.role, 'viewer');
    ok(
      await cli(['login', '-u', 'vera', '--password-stdin'], {
        input: 'vera-password-123',
        config: viewerConfig(),
      }),
    );
    assert.match(ok(await cli(['whoami'], { config: viewerConfig() })).stdout, /^vera: viewer/);
    const run = await cli(['devices', 'delete', 'press-7', '--yes'], { config: viewerConfig() });
    assert.equal(run.code, 1);
    const vera = await login(app.url, 'vera', 'vera-password-123');
    const problem = await vera.del<{ title: string }>('/api/v1/devices/press-7');
    assert.equal(problem.status, 403);
    assert.ok(run.stderr.startsWith(`Error: ${problem.body.title}`), run.stderr);
    assert.equal((await admin.get('/api/v1/devices/press-7')).status, 200);
  });

  test('users set-role and logout', async () => {
    ok(await cli(['users', 'set-role', 'vera', 'operator']));
    assert.equal((await admin.get<{ role: string }>('/api/v1/users/vera')).body.role, 'operator');
    const bad = await cli(['users', 'set-role', 'vera', 'king']);
    assert.equal(bad.code, 2);
    const saved = JSON.parse(await readFile(join(viewerConfig(), 'credentials.json'), 'utf8'));
    const token: string = saved.logins[app.url].token;
    ok(await cli(['logout'], { config: viewerConfig() }));
    assert.equal(
      (await client(app.url, token).get('/api/v1/auth/me')).status,
      401,
      'the session ended on the server',
    );
    const after = await cli(['whoami'], { config: viewerConfig() });
    assert.equal(after.code, 1);
    assert.match(after.stderr, /not logged in/);
  });

  test('apikeys create prints the key once; PLEXUS_API_KEY then works; delete revokes it', async () => {
    const created = JSON.parse(
      ok(await cli(['apikeys', 'create', '--name', 'ci', '--role', 'operator', '--json'])).stdout,
    );
    assert.equal(typeof created.key, 'string');
    const empty = join(home, 'no-login');
    const env = { PLEXUS_API_KEY: created.key };
    const listed = JSON.parse(ok(await cli(['devices', 'list', '--json'], { env, config: empty })).stdout);
    assert.ok(listed.items.some((d: { id: string }) => d.id === 'press-7'));
    assert.match(ok(await cli(['whoami'], { env, config: empty })).stdout, /API key/);
    assert.match(
      ok(await cli(['apikeys', 'list'])).stdout,
      new RegExp(`^${created.id}\\s+ci\\s+operator`, 'm'),
    );
    ok(await cli(['apikeys', 'delete', created.id, '--yes']));
    const refused = await cli(['devices', 'list'], { env, config: empty });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /API key/);
  });

  test('audit lists what the CLI did', async () => {
    const page = JSON.parse(
      ok(await cli(['audit', '--resource', 'device', '--limit', '50', '--json'])).stdout,
    );
    const actions = page.items.map((r: { action: string }) => r.action);
    assert.ok(actions.includes('device.create'), actions.join(','));
    assert.match(ok(await cli(['audit', '--action', 'device.delete'])).stdout, /device\/sensor-1/);
  });
});

describe('twin and commands', () => {
  /** An operator API key and an empty config dir: these tests need no saved login. */
  async function operator(): Promise<{ env: Record<string, string>; config: string }> {
    const r = await admin.post<{ key: string }>('/api/v1/apikeys', { name: 'cli-ops', role: 'operator' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return { env: { PLEXUS_API_KEY: r.body.key }, config: join(home, 'ops-config') };
  }

  test('twin set merges key=value pairs (dotted keys nest, JSON values); show; a stale --if-match exits 1', async () => {
    const as = await operator();
    await admin.post('/api/v1/devices', { id: 'thermo-cli' });
    const set = ok(await cli(['twin', 'set', 'thermo-cli', 'temp.target=21', 'mode=eco'], as));
    assert.match(set.stdout, /Desired state of thermo-cli changed/);
    const shown = JSON.parse(ok(await cli(['twin', 'show', 'thermo-cli', '--json'], as)).stdout);
    assert.deepEqual(shown.desired, { temp: { target: 21 }, mode: 'eco' });
    assert.deepEqual(shown.delta, shown.desired);
    assert.equal(shown.version, 1);
    const stale = await cli(['twin', 'set', 'thermo-cli', 'mode=null', '--if-match', '0'], as);
    assert.equal(stale.code, 1, stale.stderr);
    assert.match(stale.stderr, /412|version/);
    ok(await cli(['twin', 'set', 'thermo-cli', 'mode=null', '--if-match', '1'], as));
    const after = JSON.parse(ok(await cli(['twin', 'show', 'thermo-cli', '--json'], as)).stdout);
    assert.deepEqual(after.desired, { temp: { target: 21 } });
    const nothing = await cli(['twin', 'set', 'thermo-cli'], as);
    assert.equal(nothing.code, 2, nothing.stderr);
  });

  test('commands send --wait prints the result; an expired one exits 1; list, show, cancel', async () => {
    const as = await operator();
    const created = await admin.post<{ id: string; secret: string }>('/api/v1/devices', { id: 'press-cli' });
    const device = await connect(app, { id: 'press-cli', secret: created.body.secret, tenant: 'default' });
    await device.subscribeAsync('devices/press-cli/commands/+', { qos: 1 });
    device.on('message', (topic, payload) => {
      const { params } = JSON.parse(payload.toString()) as { params: unknown };
      void device.publishAsync(`${topic}/result`, JSON.stringify({ ok: true, result: { echo: params } }), {
        qos: 1,
      });
    });
    const sent = ok(
      await cli(
        [
          'commands',
          'send',
          'press-cli',
          'shutdown',
          '--param',
          'reason=heat',
          '--param',
          'level=2',
          '--wait',
          '5s',
        ],
        as,
      ),
    );
    assert.match(sent.stdout, /: succeeded/);
    assert.match(sent.stdout, /"echo":\{"reason":"heat","level":2\}/);
    await end(device);

    // Offline now: a 1 s time-to-live runs out while --wait waits.
    const expired = await cli(['commands', 'send', 'press-cli', 'reboot', '--ttl', '1s', '--wait', '3s'], as);
    assert.equal(expired.code, 1, expired.stdout + expired.stderr);
    assert.match(expired.stderr, /ended expired/);

    const queued = JSON.parse(
      ok(await cli(['commands', 'send', 'press-cli', 'calibrate', '--json'], as)).stdout,
    );
    assert.equal(queued.status, 'queued');
    const listed = ok(await cli(['commands', 'list', '--device', 'press-cli', '--status', 'queued'], as));
    assert.match(listed.stdout, new RegExp(`${queued.id}\\s+press-cli\\s+calibrate\\s+queued`));
    assert.match(ok(await cli(['commands', 'cancel', queued.id], as)).stdout, /Cancelled command/);
    const shown = JSON.parse(ok(await cli(['commands', 'show', queued.id, '--json'], as)).stdout);
    assert.equal(shown.status, 'cancelled');
    const again = await cli(['commands', 'cancel', queued.id], as);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already cancelled/);
    const badTtl = await cli(['commands', 'send', 'press-cli', 'x', '--ttl', 'soon'], as);
    assert.equal(badTtl.code, 2, badTtl.stderr);
  });

  test('send-group reaches every member; batch counts them by status', async () => {
    const as = await operator();
    await admin.post('/api/v1/groups', { id: 'cli-line' });
    for (const id of ['g-1', 'g-2', 'g-3']) await admin.post('/api/v1/devices', { id, groups: ['cli-line'] });
    const sent = ok(
      await cli(['commands', 'send-group', 'cli-line', 'reboot', '--rate', '10', '--json'], as),
    );
    const batch = JSON.parse(sent.stdout) as { id: string; total: number };
    assert.equal(batch.total, 3);
    const shown = ok(await cli(['commands', 'batch', batch.id], as));
    assert.match(shown.stdout, /Devices:\s+3/);
    assert.match(shown.stdout, /queued:\s+3/);
  });
});
