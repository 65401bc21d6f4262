/**
 * The SDK when the network fails: a TCP proxy of the test's own sits
 * between the device and the broker and is cut and restored. Points made
 * while cut are kept with their original times and replayed in order
 * (batched) after reconnecting; a full buffer drops the oldest; bad
 * credentials fail at once without a retry loop; an unreachable platform
 * fails after connectTimeoutMs; bad options are refused by name.
 */
import assert from 'node:assert/strict';
import { type AddressInfo, createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import mqtt from 'mqtt';
import { DeviceSdkError, PlexusDevice } from '../../src/device/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient, createDevice, end } from '../helpers/mqtt.js';
import { collect, createApiKey, keyOpts, sleep, waitUntil } from '../helpers/mqtt-extra.js';

/** A TCP proxy to a port that can be cut (every connection dropped, new ones refused) and restored. */
class CutProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #up = true;
  connections = 0;

  constructor(targetPort: number) {
    this.#server = createServer((client) => {
      this.connections++;
      if (!this.#up) {
        client.destroy();
        return;
      }
      const upstream = netConnect(targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => {
          this.#sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    return `mqtt://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  cut(): void {
    this.#up = false;
    for (const s of this.#sockets) s.destroy();
  }

  restore(): void {
    this.#up = true;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((r) => this.#server.close(() => r()));
  }
}

const isSdk = (code: string, option?: string) => (e: unknown) =>
  e instanceof DeviceSdkError && e.code === code && (option === undefined || e.option === option);

describe('device SDK offline behaviour', { timeout: 60_000 }, () => {
  let app: TestApp;
  let api: Client;
  let proxy: CutProxy;
  let proxyUrl: string;

  before(async () => {
    app = await startTestApp();
    api = await adminClient(app);
    proxy = new CutProxy(app.mqttPort);
    proxyUrl = await proxy.listen();
  });
  after(async () => {
    await proxy.close();
    await app.stop();
  });

  test('points made while cut off keep their times and order, and are replayed in batches', {
    timeout: 30_000,
  }, async () => {
    const d = await createDevice(api, { id: 'sdk-offline' });
    const watcher = await mqtt.connectAsync(`mqtt://127.0.0.1:${app.mqttPort}`, {
      ...keyOpts((await createApiKey(api, 'viewer')).key),
      protocolVersion: 5,
      reconnectPeriod: 0,
    });
    await watcher.subscribeAsync(`devices/${d.id}/telemetry`, { qos: 1 });
    const seen = collect(watcher);
    const dev = new PlexusDevice({
      url: proxyUrl,
      id: d.id,
      secret: d.secret,
      reconnect: { minMs: 50, maxMs: 200 },
    });
    const events: string[] = [];
    dev.on('connected', () => events.push('connected'));
    dev.on('disconnected', () => events.push('disconnected'));
    await dev.connect();
    await dev.telemetry({ n: -1 });

    proxy.cut();
    await waitUntil(() => events.includes('disconnected'), 3000, 'the drop to be noticed');
    const before = proxy.connections;
    // Each point's time is taken when telemetry() is called: bracket it.
    const made: { n: number; from: number; to: number }[] = [];
    const acks: Promise<void>[] = [];
    for (let n = 0; n < 30; n++) {
      const from = Date.now();
      acks.push(dev.telemetry({ n }));
      made.push({ n, from, to: Date.now() });
      await sleep(3);
    }
    assert.equal(dev.stats.buffered, 30, 'all waiting');
    assert.equal(dev.stats.acked, 1);
    await sleep(400);
    assert.ok(proxy.connections > before, 'the SDK keeps trying to reconnect');
    assert.equal(dev.connected, false);
    const restoredAt = Date.now();
    proxy.restore();
    await Promise.all(acks);
    assert.deepEqual(events, ['connected', 'disconnected', 'connected']);
    assert.deepEqual(
      { ...dev.stats, sent: undefined },
      { sent: undefined, acked: 31, buffered: 0, dropped: 0, reconnects: 1, commands: 0 },
    );

    const r = await api.get<{ items: { ts: number; value: number }[] }>(
      `/api/v1/devices/${d.id}/telemetry?keys=n&from=0&to=${Date.now() + 60_000}&limit=1000`,
    );
    const stored = r.body.items.filter((p) => p.value >= 0);
    assert.deepEqual(
      stored.map((p) => p.value),
      made.map((m) => m.n),
      'every point, in the order made',
    );
    stored.forEach((p, i) => {
      const m = made[i] as (typeof made)[number];
      assert.ok(p.ts >= m.from && p.ts <= m.to && p.ts < restoredAt, `point ${i} keeps the time it was made`);
    });
    // The replay went as batches (arrays), not thirty single messages.
    await waitUntil(() => seen.length >= 2, 2000, 'the watcher to see the replay');
    const replay = seen.slice(1).map((m) => JSON.parse(m.payload) as unknown);
    assert.ok(replay.length < 30, `replayed in ${replay.length} payloads`);
    assert.ok(Array.isArray(replay[0]), 'a batch is an array of {ts, values}');
    await dev.close();
    await end(watcher);
  });

  test('over HTTP too: points made while the platform is unreachable are sent later with their times', {
    timeout: 30_000,
  }, async () => {
    const d = await createDevice(api, { id: 'sdk-offline-http' });
    const httpProxy = new CutProxy(Number(new URL(app.url).port));
    const url = (await httpProxy.listen()).replace(/^mqtt/, 'http');
    const dev = new PlexusDevice({ url, id: d.id, secret: d.secret, reconnect: { minMs: 50, maxMs: 200 } });
    await dev.connect();
    httpProxy.cut();
    const t0 = Date.now() - 10_000;
    const acks = Array.from({ length: 5 }, (_, n) => dev.telemetry({ n }, t0 + n));
    await waitUntil(() => !dev.connected, 3000, 'the failed send to be noticed');
    httpProxy.restore();
    await Promise.all(acks);
    const r = await api.get<{ items: { ts: number; value: number }[] }>(
      `/api/v1/devices/${d.id}/telemetry?keys=n&from=0&to=${Date.now() + 60_000}`,
    );
    assert.deepEqual(
      r.body.items.map((p) => [p.value, p.ts]),
      [0, 1, 2, 3, 4].map((n) => [n, t0 + n]),
    );
    assert.equal(dev.stats.reconnects, 1);
    await dev.close();
    await httpProxy.close();
  });

  test('a full buffer drops the oldest points, which reject with DROPPED', { timeout: 30_000 }, async () => {
    const d = await createDevice(api, { id: 'sdk-drop' });
    const dev = new PlexusDevice({
      url: proxyUrl,
      id: d.id,
      secret: d.secret,
      bufferLimit: 3,
      reconnect: { minMs: 50, maxMs: 100 },
    });
    await dev.connect();
    const down = new Promise((r) => dev.once('disconnected', r));
    proxy.cut();
    await down;
    const results = Array.from({ length: 5 }, (_, n) =>
      dev.telemetry({ n }).then(
        () => 'acked',
        (e: unknown) => (e instanceof DeviceSdkError ? e.code : 'other'),
      ),
    );
    assert.equal(dev.stats.dropped, 2);
    proxy.restore();
    assert.deepEqual(await Promise.all(results), ['DROPPED', 'DROPPED', 'acked', 'acked', 'acked']);
    assert.equal(dev.stats.buffered, 0);
    await dev.close();
  });

  test('close() rejects what could not be sent with CLOSED', { timeout: 30_000 }, async () => {
    const d = await createDevice(api, { id: 'sdk-close' });
    const dev = new PlexusDevice({
      url: proxyUrl,
      id: d.id,
      secret: d.secret,
      reconnect: { minMs: 50, maxMs: 100 },
    });
    await dev.connect();
    const down = new Promise((r) => dev.once('disconnected', r));
    proxy.cut();
    await down;
    const pending = dev.telemetry({ x: 1 });
    const t0 = Date.now();
    await dev.close({ graceMs: 200 });
    assert.ok(Date.now() - t0 < 2000, 'close does not hang on a dead link');
    await assert.rejects(pending, isSdk('CLOSED'));
    await assert.rejects(dev.telemetry({ x: 2 }), isSdk('CLOSED'));
    await assert.rejects(dev.connect(), isSdk('CLOSED'));
    proxy.restore();
  });

  test('a wrong secret fails connect() at once with AUTH_FAILED, and nothing retries', {
    timeout: 30_000,
  }, async () => {
    const d = await createDevice(api, { id: 'sdk-badauth' });
    for (const mqttVersion of [5, 4] as const) {
      const dev = new PlexusDevice({
        url: proxyUrl,
        id: d.id,
        secret: 'not-the-secret',
        mqttVersion,
        reconnect: { minMs: 10, maxMs: 20 },
      });
      const before = proxy.connections;
      const t0 = Date.now();
      await assert.rejects(dev.connect(), (e: unknown) => {
        assert.ok(isSdk('AUTH_FAILED')(e), String(e));
        assert.equal((e as DeviceSdkError).reasonCode, mqttVersion === 5 ? 0x86 : 4);
        return true;
      });
      assert.ok(Date.now() - t0 < 3000, 'fails fast');
      await sleep(200);
      assert.equal(proxy.connections - before, 1, 'one attempt, no retry loop');
      await dev.close();
    }
  });

  test('an unreachable platform fails connect() with UNREACHABLE after connectTimeoutMs', {
    timeout: 30_000,
  }, async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const dev = new PlexusDevice({
      url: `mqtt://127.0.0.1:${port}`,
      id: 'nobody',
      secret: 'x',
      connectTimeoutMs: 500,
      reconnect: { minMs: 20, maxMs: 50 },
    });
    const errors: Error[] = [];
    dev.on('error', (e) => errors.push(e));
    const t0 = Date.now();
    await assert.rejects(dev.connect(), isSdk('UNREACHABLE'));
    const took = Date.now() - t0;
    assert.ok(took >= 450 && took < 3000, `took ${took} ms`);
    assert.ok(errors.length >= 2, 'each failed attempt is reported to error listeners');
    await dev.close();
  });

  test('bad options and arguments are refused by name', () => {
    const ok = { url: 'mqtt://127.0.0.1:1', id: 'd1', secret: 's' };
    assert.throws(() => new PlexusDevice({ ...ok, url: 'tcp://x' }), isSdk('INVALID_OPTION', 'url'));
    assert.throws(() => new PlexusDevice({ ...ok, id: 'a b' }), isSdk('INVALID_OPTION', 'id'));
    assert.throws(
      () => new PlexusDevice({ ...ok, reconnect: { minMs: 0 } }),
      isSdk('INVALID_OPTION', 'reconnect.minMs'),
    );
    assert.throws(
      () => new PlexusDevice({ ...ok, format: 'xml' } as unknown as typeof ok),
      isSdk('INVALID_OPTION', 'format'),
    );
    assert.throws(() => new PlexusDevice(null as unknown as typeof ok), isSdk('INVALID_OPTION', 'options'));
    const dev = new PlexusDevice(ok);
    assert.throws(
      () => dev.telemetry('hot' as unknown as Record<string, number>),
      isSdk('INVALID_ARGUMENT', 'values'),
    );
    assert.throws(() => dev.telemetry({ t: 1 }, 1_700_000_000), isSdk('INVALID_ARGUMENT', 'ts'));
    assert.throws(() => dev.event('', {}), isSdk('INVALID_ARGUMENT', 'type'));
    assert.throws(
      () => dev.report([] as unknown as Record<string, unknown>),
      isSdk('INVALID_ARGUMENT', 'partial'),
    );
    assert.throws(() => dev.onCommand('', () => 1), isSdk('INVALID_ARGUMENT', 'name'));
    assert.throws(() => dev.onDesired(5 as unknown as () => void), isSdk('INVALID_ARGUMENT', 'handler'));
  });
});
