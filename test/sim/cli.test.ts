/**
 * `plexus sim` as a user runs it: the compiled executable against a real
 * server, its progress, and a clean stop on Ctrl-C (SIGINT).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { type CliRun, runCli } from '../helpers/cli.js';
import type { Client } from '../helpers/http.js';
import { adminClient } from '../helpers/mqtt.js';
import { createApiKey, sleep } from '../helpers/mqtt-extra.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

let app: TestApp;
let api: Client;
let key: string;
let home: string;
before(async () => {
  app = await startTestApp();
  api = await adminClient(app);
  key = (await createApiKey(api, 'admin')).key;
  home = await mkdtemp(join(tmpdir(), 'plexus-sim-cli-'));
});
after(async () => {
  await app?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}) => ({
  PLEXUS_URL: app.url,
  PLEXUS_CONFIG_DIR: join(home, 'config'),
  HOME: home,
  ...extra,
});
const cli = (args: string[], extra?: Record<string, string>): Promise<CliRun> => runCli(args, env(extra));

describe('plexus sim', () => {
  test('--list names the five scenarios; --help has examples', async () => {
    const list = await cli(['sim', '--list']);
    assert.equal(list.code, 0, list.stderr);
    for (const name of ['factory', 'fleet', 'home', 'health', 'grid'])
      assert.match(list.stdout, new RegExp(`^${name}\\s`, 'm'));
    const json = await cli(['sim', '--list', '--json']);
    assert.deepEqual(
      (JSON.parse(json.stdout) as { name: string }[]).map((p) => p.name),
      ['factory', 'fleet', 'home', 'health', 'grid'],
    );
    const help = await cli(['sim', '--help']);
    assert.match(help.stdout, /Examples:\n {2}\$ plexus sim factory --speed 30/);
    // The help names the scenarios without loading them (sim-run.ts is lazy): it must name them all.
    for (const p of JSON.parse(json.stdout) as { name: string }[])
      assert.match(help.stdout, new RegExp(p.name));
    const top = await cli(['--help']);
    assert.match(top.stdout, /^ {2}sim\b/m);
  });

  test('bad scenario and bad options are usage errors (exit 2) that say what is wrong', async () => {
    const cases: [string[], RegExp][] = [
      [['sim', 'farm'], /unknown scenario "farm": choose one of factory, fleet, home, health, grid/],
      [['sim'], /name a scenario: one of factory, fleet, home, health, grid/],
      [['sim', 'factory', '--rate', '0'], /expected a number above 0, got "0"/],
      [['sim', 'factory', '--speed', 'fast'], /expected a number above 0, got "fast"/],
      [['sim', 'factory', '--duration', '5 weeks'], /expected a duration such as 30s/],
      [['sim', 'factory', '--seed', '99999999999'], /expected a seed from 0 to 4294967295/],
      [['sim', 'factory', '--mqtt-url', 'http://x', '--api-key', key], /mqttUrl must be an mqtt/],
    ];
    // All at once: each run is a fresh node process, mostly start-up time.
    const runs = await Promise.all(cases.map(([args]) => cli(args)));
    cases.forEach(([args, message], i) => {
      const r = runs[i] as CliRun;
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
    });
  });

  test('without credentials it says how to log in; a viewer key is told it needs admin', async () => {
    const none = await cli(['sim', 'factory']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /not logged in .*\n.*plexus login/);
    const viewer = await createApiKey(api, 'viewer');
    const r = await cli(['sim', 'factory', '--duration', '2s'], { PLEXUS_API_KEY: viewer.key });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /403/);
    assert.match(r.stderr, /needs an admin login or API key/);
  });

  test('runs the factory, prints its progress, and stops cleanly on Ctrl-C', {
    timeout: 30_000,
  }, async () => {
    const full: Record<string, string | undefined> = { ...process.env };
    for (const k of Object.keys(full)) if (k.startsWith('PLEXUS_')) delete full[k];
    const child = spawn(
      process.execPath,
      [MAIN, 'sim', 'factory', '--devices', '2', '--rate', '10', '--speed', '60', '--seed', '4'],
      {
        env: { ...full, ...env({ PLEXUS_API_KEY: key }) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      for (let i = 0; i < 100 && !/2\/2 connected/.test(stderr); i++) await sleep(100);
      assert.match(stderr, /^Factory: /m);
      assert.match(
        stderr,
        /Provisioned 2 devices \(2 new\), 1 profiles, 3 rules \(3 created or updated\); seed 4/,
      );
      assert.match(
        stderr,
        /^factory {2}2\/2 connected {2}[\d.]+ pts\/s {2}\d+ points? {2}\d+ commands? answered {2}\d+ alarms? active {2}\(Ctrl-C stops\)$/m,
      );
      const online = (
        await api.get<{ items: { id: string; status: string }[] }>('/api/v1/devices?profile=factory-machine')
      ).body.items;
      assert.deepEqual(
        online.map((d) => d.status),
        ['online', 'online'],
      );
      await sleep(2000);
    } finally {
      child.kill('SIGINT');
    }
    const code = await Promise.race([exited, sleep(10_000).then(() => 'hung')]);
    assert.equal(code, 0, `exit ${code}\n${stderr}`);
    const m =
      /^Stopped factory after \d+ s: 2 devices, ([\d,]+) points \([\d.]+ pts\/s\), \d+ commands? answered, \d+ alarms? active, 0 errors$/m.exec(
        stdout,
      );
    assert.ok(m, stdout);
    assert.ok(Number(m[1]?.replace(/,/g, '')) >= 10, `${m[1]} points`);
    for (let i = 0; i < 50; i++) {
      const items = (
        await api.get<{ items: { status: string }[] }>('/api/v1/devices?profile=factory-machine')
      ).body.items;
      if (items.every((d) => d.status === 'offline')) return;
      await sleep(100);
    }
    assert.fail('the devices were still online after the simulator stopped');
  });
});
