/**
 * The device SDK over MQTT against the real platform: telemetry acknowledged
 * and stored (MQTT 5 and 3.1.1; JSON, CBOR, SenML; TCP, TLS, WebSocket),
 * events, commands answered through handlers, desired state followed and
 * reported state merged.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { type DeviceOptions, DeviceSdkError, PlexusDevice } from '../../src/device/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient, createDevice, type TestDevice } from '../helpers/mqtt.js';
import { mqttsEnv, selfSignedCert, waitUntil } from '../helpers/mqtt-extra.js';

interface Point {
  readonly key: string;
  readonly ts: number;
  readonly value: unknown;
}
interface Command {
  readonly status: string;
  readonly result?: unknown;
  readonly error?: string;
}

describe('device SDK over MQTT', { timeout: 60_000 }, () => {
  let app: TestApp;
  let api: Client;
  let tls: ReturnType<typeof selfSignedCert>;
  const devices: PlexusDevice[] = [];

  before(async () => {
    tls = selfSignedCert();
    app = await startTestApp({ env: mqttsEnv(tls) });
    api = await adminClient(app);
  });
  after(async () => {
    await Promise.all(devices.map((d) => d.close({ graceMs: 0 })));
    await app.stop();
    rmSync(tls.dir, { recursive: true, force: true });
  });

  /** A new device on the platform and an SDK client for it (closed after the suite). */
  async function device(
    id: string,
    opts: Partial<DeviceOptions> = {},
  ): Promise<{ dev: PlexusDevice; d: TestDevice }> {
    const d = await createDevice(api, { id });
    const dev = new PlexusDevice({
      url: `mqtt://127.0.0.1:${app.mqttPort}`,
      id: d.id,
      secret: d.secret,
      reconnect: { minMs: 50, maxMs: 500 },
      ...opts,
    });
    devices.push(dev);
    return { dev, d };
  }

  async function history(id: string, keys: string): Promise<Point[]> {
    const r = await api.get<{ items: Point[] }>(
      `/api/v1/devices/${id}/telemetry?keys=${keys}&from=0&to=${Date.now() + 60_000}&limit=1000`,
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.items;
  }

  test('telemetry resolves once stored, with its time, over MQTT 5 and 3.1.1', {
    timeout: 30_000,
  }, async () => {
    for (const mqttVersion of [5, 4] as const) {
      const { dev, d } = await device(`sdk-tel-${mqttVersion}`, { mqttVersion });
      const seen: string[] = [];
      dev.on('connected', () => seen.push('connected'));
      await dev.connect();
      assert.equal(dev.connected, true);
      const ts = Date.now() - 5000;
      await dev.telemetry({ temp: 21.5, vib: { rms: 0.2 }, running: true, mode: 'auto' }, ts);
      await dev.telemetry({ temp: 22 });
      await dev.event('door_open', { door: 'front' });
      const temps = await history(d.id, 'temp');
      assert.deepEqual(
        temps.map((p) => p.value),
        [21.5, 22],
      );
      assert.equal(temps[0]?.ts, ts, 'the given time is stored');
      assert.deepEqual((await history(d.id, 'vib.rms,running,mode')).map((p) => [p.key, p.value]).sort(), [
        ['mode', 'auto'],
        ['running', true],
        ['vib.rms', 0.2],
      ]);
      assert.deepEqual(seen, ['connected']);
      assert.deepEqual(dev.stats, { sent: 3, acked: 3, buffered: 0, dropped: 0, reconnects: 0, commands: 0 });
    }
  });

  test('CBOR and SenML payloads are stored like JSON (MQTT 5 content type)', {
    timeout: 30_000,
  }, async () => {
    for (const format of ['cbor', 'senml'] as const) {
      const { dev, d } = await device(`sdk-${format}`, { format });
      await dev.connect();
      const t0 = Date.now() - 10_000;
      await Promise.all([
        dev.telemetry({ temp: 20.5, door: { open: false }, state: 'idle' }, t0),
        dev.telemetry({ temp: 21.5 }, t0 + 1000),
      ]);
      await dev.event('started', { by: format }); // events go as CBOR or JSON
      await dev.report({ fw: '1.2.3' });
      const points = await history(d.id, 'temp,door.open,state');
      assert.deepEqual(
        points.map((p) => [p.key, p.value, p.ts]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
        [
          ['door.open', false, t0],
          ['state', 'idle', t0],
          ['temp', 20.5, t0],
          ['temp', 21.5, t0 + 1000],
        ],
        format,
      );
      const twin = await api.get<{ reported: Record<string, unknown> }>(`/api/v1/devices/${d.id}/twin`);
      assert.deepEqual(twin.body.reported, { fw: '1.2.3' });
    }
  });

  test('over TLS with the CA, and over WebSocket on /mqtt', { timeout: 30_000 }, async () => {
    assert.ok(app.mqttsPort, 'the TLS listener runs');
    const secure = await device('sdk-tls', {
      url: `mqtts://127.0.0.1:${app.mqttsPort}`,
      tls: { ca: readFileSync(tls.cert) },
    });
    await secure.dev.connect();
    await secure.dev.telemetry({ tls: 1 });
    assert.equal((await history(secure.d.id, 'tls')).length, 1);
    // Without the CA the self-signed certificate is refused: no connection within the timeout.
    const untrusted = new PlexusDevice({
      url: `mqtts://127.0.0.1:${app.mqttsPort}`,
      id: secure.d.id,
      secret: secure.d.secret,
      connectTimeoutMs: 1000,
      reconnect: { minMs: 50, maxMs: 100 },
    });
    await assert.rejects(
      untrusted.connect(),
      (e: unknown) => e instanceof DeviceSdkError && e.code === 'UNREACHABLE',
    );
    await untrusted.close();
    for (const mqttVersion of [5, 4] as const) {
      // A bare ws://host:port means the broker's /mqtt path.
      const ws = await device(`sdk-ws-${mqttVersion}`, { url: app.url.replace(/^http/, 'ws'), mqttVersion });
      await ws.dev.connect();
      await ws.dev.telemetry({ ws: mqttVersion });
      assert.deepEqual(
        (await history(ws.d.id, 'ws')).map((p) => p.value),
        [mqttVersion],
      );
    }
  });

  test('commands run their handler and the answer finishes them (MQTT 5 and 3.1.1)', {
    timeout: 30_000,
  }, async () => {
    for (const mqttVersion of [5, 4] as const) {
      const { dev, d } = await device(`sdk-cmd-${mqttVersion}`, { mqttVersion });
      const got: unknown[] = [];
      dev.onCommand('shutdown', async (params, cmd) => {
        got.push([cmd.name, params]);
        return { stopped: true, reason: params.reason };
      });
      dev.onCommand('explode', () => {
        throw new Error('refusing to explode');
      });
      await dev.connect();
      const send = (body: unknown) => api.post<Command>(`/api/v1/devices/${d.id}/commands?wait=5s`, body);
      const ok = await send({ name: 'shutdown', params: { reason: 'overheat' } });
      assert.equal(ok.body.status, 'succeeded', JSON.stringify(ok.body));
      assert.deepEqual(ok.body.result, { stopped: true, reason: 'overheat' });
      assert.deepEqual(got, [['shutdown', { reason: 'overheat' }]]);
      const thrown = await send({ name: 'explode' });
      assert.equal(thrown.body.status, 'failed');
      assert.equal(thrown.body.error, 'refusing to explode');
      const unknown = await send({ name: 'dance' });
      assert.equal(unknown.body.status, 'failed');
      assert.match(String(unknown.body.error), /unknown command "dance"/);
      // '*' takes any name without its own handler.
      dev.onCommand('*', (_params, cmd) => ({ handled: cmd.name }));
      const any = await send({ name: 'dance' });
      assert.deepEqual([any.body.status, any.body.result], ['succeeded', { handled: 'dance' }]);
      assert.equal(dev.stats.commands, 4);
    }
  });

  test('a command queued while the device had no handler arrives once it registers one', {
    timeout: 30_000,
  }, async () => {
    const { dev, d } = await device('sdk-cmd-late');
    await dev.connect();
    const pending = api.post<Command>(`/api/v1/devices/${d.id}/commands?wait=5s`, { name: 'ping' });
    await new Promise((r) => setTimeout(r, 200));
    dev.onCommand('ping', () => 'pong');
    const r = await pending;
    assert.deepEqual([r.body.status, r.body.result], ['succeeded', 'pong']);
  });

  test('desired state reaches onDesired on connect and on change; reports merge', {
    timeout: 30_000,
  }, async () => {
    const { dev, d } = await device('sdk-twin');
    const patch = (desired: unknown) => api.patch(`/api/v1/devices/${d.id}/twin`, { desired });
    assert.equal((await patch({ setpoint: 20, mode: 'eco' })).status, 200);
    const seen: [Record<string, unknown>, number][] = [];
    dev.onDesired((state, version) => {
      seen.push([state, version]);
    });
    assert.deepEqual(dev.desired, {});
    await dev.connect();
    await waitUntil(() => seen.length === 1, 3000, 'the current desired state');
    assert.deepEqual(seen[0], [{ setpoint: 20, mode: 'eco' }, 1]);
    await patch({ setpoint: 22 });
    await waitUntil(() => seen.length === 2, 3000, 'the changed desired state');
    assert.deepEqual(seen[1], [{ setpoint: 22, mode: 'eco' }, 2]);
    assert.deepEqual(dev.desired, { setpoint: 22, mode: 'eco' });
    // A handler registered later gets the current state at once.
    const late: unknown[] = [];
    dev.onDesired((state) => {
      late.push(state);
    });
    await waitUntil(() => late.length === 1, 1000, 'the late handler');
    await dev.report({ setpoint: 22, fw: '1.0' });
    await dev.report({ mode: 'eco', fw: null });
    const twin = await api.get<{ reported: unknown; delta: unknown }>(`/api/v1/devices/${d.id}/twin`);
    assert.deepEqual(twin.body.reported, { setpoint: 22, mode: 'eco' });
    assert.deepEqual(twin.body.delta, {});
  });

  test('a payload the platform refuses rejects with REJECTED and the reason (MQTT 5)', {
    timeout: 30_000,
  }, async () => {
    const { dev } = await device('sdk-refused');
    await dev.connect();
    // A twin key with '$' passes the SDK (any JSON) but not the twin's rules.
    await assert.rejects(
      dev.report({ $bad: 1 }),
      (e: unknown) => e instanceof DeviceSdkError && e.code === 'REJECTED' && e.reasonCode === 0x99,
    );
    await dev.telemetry({ ok: 1 }); // the connection stays usable
    assert.throws(
      () => void dev.telemetry({ t: Number.POSITIVE_INFINITY }),
      (e: unknown) => e instanceof DeviceSdkError && e.code === 'INVALID_ARGUMENT',
    );
  });
});
