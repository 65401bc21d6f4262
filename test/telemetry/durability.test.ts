import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { login } from '../helpers/http.js';

const ROOT = new URL('../../..', import.meta.url).pathname;
const MAIN = join(ROOT, 'dist/src/cli/main.js');
const PASSWORD = 'durability-admin-pw';
const dataDir = mkdtempSync(join(tmpdir(), 'plexus-kill9-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts Plexus as its own process (so it can be killed for real) and waits for its ports. */
async function startServer(): Promise<{ child: ChildProcess; http: string; mqtt: number }> {
  rmSync(join(dataDir, 'ports.json'), { force: true });
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PLEXUS_')));
  const child = spawn(process.execPath, [MAIN, 'start'], {
    env: {
      ...clean,
      PLEXUS_DATA_DIR: dataDir,
      PLEXUS_HTTP_PORT: '0',
      PLEXUS_HTTP_HOST: '127.0.0.1',
      PLEXUS_MQTT_PORT: '0',
      PLEXUS_MQTT_HOST: '127.0.0.1',
      PLEXUS_ADMIN_PASSWORD: PASSWORD,
      PLEXUS_LOG_LEVEL: 'warn',
      PLEXUS_LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const file = join(dataDir, 'ports.json');
  for (let i = 0; i < 400 && !existsSync(file); i++) await sleep(50);
  if (!existsSync(file)) throw new Error(`server did not start: ${stderr}`);
  const ports = JSON.parse(readFileSync(file, 'utf8')) as { http: number; mqtt: number };
  return { child, http: `http://127.0.0.1:${ports.http}`, mqtt: ports.mqtt };
}

/**
 * ARCHITECTURE §1.3 "nothing acknowledged is lost", the hard way: devices
 * publish QoS 1 telemetry (MQTT 5 and 3.1.1) and POST over HTTP as fast as
 * acknowledgements come, the server is killed with SIGKILL mid-stream, and
 * after a restart every point that got a PUBACK or a 200 must be stored.
 */
test('kill -9 under load: every acknowledged point is in the database after a restart', async (t) => {
  let server = await startServer();
  const admin = await login(server.http, 'admin', PASSWORD);
  const devices: { id: string; secret: string }[] = [];
  for (let i = 0; i < 12; i++) {
    const r = await admin.post<{ id: string; secret: string }>('/api/v1/devices', { id: `k9-${i}` });
    assert.equal(r.status, 201);
    devices.push(r.body);
  }
  const base = Date.now() - 3_600_000;
  /** device id → timestamps whose point was acknowledged. */
  const acked = new Map<string, number[]>(devices.map((d) => [d.id, []]));
  let stop = false;

  const mqttDevices = devices.slice(0, 10);
  const clients: MqttClient[] = [];
  const loops = mqttDevices.map(async (d, n) => {
    const c = mqtt.connect(`mqtt://127.0.0.1:${server.mqtt}`, {
      clientId: d.id,
      username: d.id,
      password: d.secret,
      protocolVersion: n % 2 === 0 ? 5 : 4,
      reconnectPeriod: 0,
    });
    clients.push(c);
    c.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => resolve());
      c.once('error', reject);
    });
    // A window of 20 publishes in flight per device, like a buffered device flushing.
    let seq = 0;
    const one = async () => {
      while (!stop) {
        const ts = base + seq++;
        try {
          await c.publishAsync(
            `devices/${d.id}/telemetry`,
            JSON.stringify({ ts, values: { seq: ts - base } }),
            { qos: 1 },
          );
        } catch {
          return; // the server is gone
        }
        acked.get(d.id)?.push(ts);
      }
    };
    await Promise.all(Array.from({ length: 20 }, one));
  });
  const httpDevices = devices.slice(10);
  const httpLoops = httpDevices.map(async (d) => {
    const auth = `Basic ${Buffer.from(`${d.id}:${d.secret}`).toString('base64')}`;
    let seq = 0;
    while (!stop) {
      const batch = Array.from({ length: 50 }, () => base + seq++);
      try {
        const res = await fetch(`${server.http}/device/v1/telemetry`, {
          method: 'POST',
          headers: { authorization: auth, 'content-type': 'application/json' },
          body: JSON.stringify(batch.map((ts) => ({ ts, values: { seq: ts - base } }))),
        });
        await res.text();
        if (res.status === 200) acked.get(d.id)?.push(...batch);
      } catch {
        return;
      }
    }
  });

  await sleep(2500);
  server.child.kill('SIGKILL');
  await new Promise((r) => server.child.once('exit', r));
  stop = true;
  // Publishes in flight at the kill never settle in MQTT.js: count only what settled by now.
  for (const c of clients) c.end(true);
  await Promise.race([Promise.all([...loops, ...httpLoops]), sleep(500)]);
  const total = [...acked.values()].reduce((n, l) => n + l.length, 0);
  assert.ok(total > 1000, `enough load before the kill (${total} acknowledged points)`);
  t.diagnostic(`${total} points acknowledged before SIGKILL`);

  server = await startServer();
  try {
    const api = await login(server.http, 'admin', PASSWORD);
    for (const d of devices) {
      const want = acked.get(d.id) ?? [];
      const stored = new Set<number>();
      let cursor: string | undefined;
      do {
        const q = `keys=seq&from=${base}&to=${base + 10_000_000}&limit=10000${cursor ? `&cursor=${cursor}` : ''}`;
        const r = await api.get<{ items: { ts: number }[]; next?: string }>(
          `/api/v1/devices/${d.id}/telemetry?${q}`,
        );
        assert.equal(r.status, 200);
        for (const p of r.body.items) stored.add(p.ts);
        cursor = r.body.next;
      } while (cursor);
      const missing = want.filter((ts) => !stored.has(ts));
      assert.deepEqual(
        missing.slice(0, 10),
        [],
        `${d.id}: ${missing.length} of ${want.length} acknowledged points lost`,
      );
    }
  } finally {
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
  }
});
