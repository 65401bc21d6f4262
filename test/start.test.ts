import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { client, login } from './helpers/http.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const MAIN = join(ROOT, 'dist/src/cli/main.js');
const dirs: string[] = [];
const children: ChildProcess[] = [];
after(() => {
  // A failed assertion must not leave a server running.
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'plexus-start-'));
  dirs.push(d);
  return d;
}

interface Running {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

/** Runs a command in `cwd` with only our settings on top of the environment. */
function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Running {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PLEXUS_')));
  const child = spawn(cmd, args, {
    cwd,
    env: { ...clean, PLEXUS_LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor<T>(what: string, fn: () => T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const portsOf = (dataDir: string) => {
  const f = join(dataDir, 'ports.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as { http: number }) : undefined;
};

describe('quick start: npm start on embedded defaults', () => {
  test('first start prints a one-time admin password, serves, and stops cleanly on SIGTERM', async () => {
    const cwd = tempDir();
    const dataDir = join(cwd, 'data');
    // `npm start` exactly as the README says, pointed at a free port and a temp data dir.
    const first = run('npm', ['start', '--prefix', ROOT, '--silent'], cwd, {
      PLEXUS_HTTP_PORT: '0',
      PLEXUS_MQTT_PORT: '0',
      PLEXUS_DATA_DIR: dataDir,
    });
    const ports = await waitFor('ports.json', () => portsOf(dataDir));
    const password = await waitFor('admin password', () => /password: (\S+)/.exec(first.output())?.[1]);
    const url = `http://127.0.0.1:${ports.http}`;
    assert.equal((await client(url).get('/healthz')).status, 200);
    const admin = await login(url, 'admin', password);
    assert.equal((await admin.post('/api/v1/devices', { id: 'survivor' })).status, 201);
    assert.ok(existsSync(join(dataDir, 'plexus.db')), 'SQLite database in the data dir');
    assert.ok(existsSync(join(dataDir, 'plexus.db-wal')), 'WAL mode');

    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0, `clean exit; output:\n${first.output()}`);
    assert.match(first.output(), /Plexus stopped/);

    // Second start: no new password, data kept, the old password still works.
    const second = run(process.execPath, [MAIN, 'start', '--data-dir', dataDir, '--http-port', '0'], cwd, {
      PLEXUS_MQTT_PORT: '0',
    });
    await waitFor('restart', () => (/Plexus is running/.test(second.output()) ? true : undefined));
    const url2 = `http://127.0.0.1:${(portsOf(dataDir) as { http: number }).http}`;
    const again = await login(url2, 'admin', password);
    assert.equal((await again.get('/api/v1/devices/survivor')).status, 200);
    assert.doesNotMatch(second.output(), /password:/);
    second.child.kill('SIGINT');
    assert.equal(await second.exited, 0);
  });

  test('PLEXUS_ADMIN_PASSWORD sets the first password and is never printed', async () => {
    const cwd = tempDir();
    const p = run(process.execPath, [MAIN, 'start'], cwd, {
      PLEXUS_HTTP_PORT: '0',
      PLEXUS_MQTT_PORT: '0',
      PLEXUS_DATA_DIR: join(cwd, 'data'),
      PLEXUS_ADMIN_PASSWORD: 'correct-horse-battery',
    });
    const ports = await waitFor('ports.json', () => portsOf(join(cwd, 'data')));
    await login(`http://127.0.0.1:${ports.http}`, 'admin', 'correct-horse-battery');
    assert.doesNotMatch(p.output(), /correct-horse-battery/);
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0, `clean exit on SIGTERM; output:\n${p.output()}`);
  });
});

const hasExecve = typeof (process as { execve?: unknown }).execve === 'function';

describe('one usable CPU: start relaunches Node with single-threaded GC', () => {
  test('the server runs with --single-threaded-gc, says so, and SIGTERM/SIGINT still stop it cleanly', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const cwd = tempDir();
      const dataDir = join(cwd, 'data');
      // Pinned to one CPU, as a container with one CPU or the benchmark's broker is.
      const p = run('taskset', ['-c', '0', process.execPath, MAIN, 'start'], cwd, {
        PLEXUS_HTTP_PORT: '0',
        PLEXUS_MQTT_PORT: '0',
        PLEXUS_DATA_DIR: dataDir,
      });
      const ports = await waitFor('ports.json', () => portsOf(dataDir) as { http: number; pid: number });
      const serverPid = ports.pid;
      try {
        // Node with process.execve re-executes in place (same pid); Node 20 relaunches as a child.
        if (hasExecve) assert.equal(serverPid, p.child.pid, 'the server kept its pid');
        else assert.notEqual(serverPid, p.child.pid, 'the server is the relaunched child');
        const cmdline = readFileSync(`/proc/${serverPid}/cmdline`, 'utf8').split('\0');
        assert.ok(cmdline.includes('--single-threaded-gc'), cmdline.join(' '));
        assert.equal((await client(`http://127.0.0.1:${ports.http}`).get('/healthz')).status, 200);
        await waitFor('log line', () =>
          /main thread \(--single-threaded-gc\)/.test(p.output()) ? true : undefined,
        );
        p.child.kill(signal);
        assert.equal(await p.exited, 0, `clean exit on ${signal}; output:\n${p.output()}`);
        assert.match(p.output(), /Plexus stopped/);
        assert.equal(existsSync(`/proc/${serverPid}`), false, 'the server process is gone');
      } finally {
        if (existsSync(`/proc/${serverPid}`)) process.kill(serverPid, 'SIGKILL');
      }
    }
  });

  test('PLEXUS_GC=parallel keeps one process; a bad PLEXUS_GC is refused', async () => {
    const cwd = tempDir();
    const dataDir = join(cwd, 'data');
    const p = run('taskset', ['-c', '0', process.execPath, MAIN, 'start'], cwd, {
      PLEXUS_HTTP_PORT: '0',
      PLEXUS_MQTT_PORT: '0',
      PLEXUS_DATA_DIR: dataDir,
      PLEXUS_GC: 'parallel',
    });
    const ports = await waitFor('ports.json', () => portsOf(dataDir) as { http: number; pid: number });
    assert.equal(ports.pid, p.child.pid);
    const cmdline = readFileSync(`/proc/${ports.pid}/cmdline`, 'utf8').split('\0');
    assert.ok(!cmdline.includes('--single-threaded-gc'), cmdline.join(' '));
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0, `clean exit on SIGTERM; output:\n${p.output()}`);

    const bad = run(process.execPath, [MAIN, 'start'], cwd, { PLEXUS_GC: 'fast', PLEXUS_DATA_DIR: dataDir });
    assert.equal(await bad.exited, 1);
    assert.match(bad.output(), /plexus: PLEXUS_GC must be auto, single or parallel \(got "fast"\)/);
  });
});

describe('start-up refuses bad settings with one clear message', () => {
  test('a port already in use names the port and the setting that moves it', async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as { port: number }).port;
    try {
      const cwd = tempDir();
      const p = run(process.execPath, [MAIN, 'start', '--http-port', String(port)], cwd, {
        PLEXUS_DATA_DIR: join(cwd, 'data'),
        PLEXUS_HTTP_HOST: '127.0.0.1',
        PLEXUS_MQTT_PORT: '0',
      });
      assert.equal(await p.exited, 1);
      assert.match(
        p.output(),
        new RegExp(`plexus: port ${port} is already in use: set http.port \\(or PLEXUS_HTTP_PORT\\)`),
      );
    } finally {
      holder.close();
    }
  });

  test('an invalid config file stops start-up with the exact path and reason', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'plexus.config.yaml'), 'http:\n  port: -1\nlog:\n  level: chatty\n');
    const p = run(process.execPath, [MAIN, 'start'], cwd, { PLEXUS_DATA_DIR: join(cwd, 'data') });
    assert.equal(await p.exited, 1);
    assert.match(p.output(), /http\.port: must be >= 0/);
    assert.match(p.output(), /log\.level: must be one of/);
    assert.ok(!existsSync(join(cwd, 'data')), 'nothing was created');
  });

  test('anonymous MQTT on a non-loopback address starts with a loud warning', async () => {
    const cwd = tempDir();
    const p = run(process.execPath, [MAIN, 'start'], cwd, {
      PLEXUS_DATA_DIR: join(cwd, 'data'),
      PLEXUS_HTTP_HOST: '127.0.0.1',
      PLEXUS_HTTP_PORT: '0',
      PLEXUS_MQTT_HOST: '0.0.0.0',
      PLEXUS_MQTT_PORT: '0',
      PLEXUS_MQTT_ALLOW_ANONYMOUS: 'true',
    });
    await waitFor('start', () => (/Plexus is running/.test(p.output()) ? true : undefined));
    // The log is written asynchronously: the warning may follow the banner.
    await waitFor('the warning', () =>
      /MQTT ANONYMOUS ACCESS IS ON for a non-loopback address/.test(p.output()) ? true : undefined,
    );
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
  });

  test('an unknown anonymous tenant or a bad anonymous rule stops start-up, naming the setting', async () => {
    const base = (cwd: string) => ({
      PLEXUS_DATA_DIR: join(cwd, 'data'),
      PLEXUS_HTTP_PORT: '0',
      PLEXUS_MQTT_PORT: '0',
      PLEXUS_MQTT_ALLOW_ANONYMOUS: 'true',
    });
    const cwd = tempDir();
    const tenant = run(process.execPath, [MAIN, 'start'], cwd, {
      ...base(cwd),
      PLEXUS_MQTT_ANONYMOUS_TENANT: 'nope',
    });
    assert.equal(await tenant.exited, 1);
    assert.match(tenant.output(), /mqtt\.anonymous\.tenant: tenant "nope" does not exist/);
    const cwd2 = tempDir();
    const rules = run(process.execPath, [MAIN, 'start'], cwd2, {
      ...base(cwd2),
      PLEXUS_MQTT_ANONYMOUS_RULES: '[{"permission":"allow","action":"both","topic":"plant/x%u/#"}]',
    });
    assert.equal(await rules.exited, 1);
    assert.match(rules.output(), /mqtt\.anonymous\.rules\.0\.topic: placeholder must fill a whole level/);
  });

  test('plexus init creates the data dir and admin once', async () => {
    const cwd = tempDir();
    const dataDir = join(cwd, 'data');
    const first = run(process.execPath, [MAIN, 'init', '--data-dir', dataDir, '--json'], cwd);
    assert.equal(await first.exited, 0, first.output());
    const out = JSON.parse(first.output()) as { admin: { username: string; password: string } };
    assert.equal(out.admin.username, 'admin');
    assert.ok(out.admin.password.length >= 16);
    const second = run(process.execPath, [MAIN, 'init', '--data-dir', dataDir], cwd);
    assert.equal(await second.exited, 0);
    assert.match(second.output(), /already initialised/);
  });
});
