/**
 * The device SDK over the device HTTP API (/device/v1): telemetry and
 * events stored, commands answered through the long poll, desired state
 * followed and reported state merged, a wrong secret refused at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DeviceSdkError, PlexusDevice } from '../../src/device/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient, createDevice } from '../helpers/mqtt.js';
import { waitUntil } from '../helpers/mqtt-extra.js';

describe('device SDK over HTTP', { timeout: 60_000 }, () => {
  let app: TestApp;
  let api: Client;
  const devices: PlexusDevice[] = [];

  before(async () => {
    app = await startTestApp();
    api = await adminClient(app);
  });
  after(async () => {
    await Promise.all(devices.map((d) => d.close({ graceMs: 0 })));
    await app.stop();
  });

  async function device(id: string, format: 'json' | 'cbor' | 'senml' = 'json') {
    const d = await createDevice(api, { id });
    const dev = new PlexusDevice({ url: app.url, id: d.id, secret: d.secret, format, pollMs: 2000 });
    devices.push(dev);
    return { dev, d };
  }

  test('telemetry and events are stored, in every format, with their times', {
    timeout: 30_000,
  }, async () => {
    for (const format of ['json', 'cbor', 'senml'] as const) {
      const { dev, d } = await device(`http-tel-${format}`, format);
      await dev.connect();
      const t0 = Date.now() - 3000;
      await Promise.all([
        dev.telemetry({ temp: 20, vib: { rms: 0.5 } }, t0),
        dev.telemetry({ temp: 21 }, t0 + 1000),
      ]);
      await dev.event('door_open', { door: 'front' });
      const r = await api.get<{ items: { key: string; ts: number; value: number }[] }>(
        `/api/v1/devices/${d.id}/telemetry?keys=temp,vib.rms&from=0&to=${Date.now() + 60_000}`,
      );
      assert.deepEqual(
        r.body.items
          .map((p) => [p.key, p.ts, p.value])
          .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
        [
          ['temp', t0, 20],
          ['temp', t0 + 1000, 21],
          ['vib.rms', t0, 0.5],
        ],
        format,
      );
      assert.equal(dev.stats.acked, 3);
    }
  });

  test('commands arrive by long poll and their answers finish them', { timeout: 30_000 }, async () => {
    const { dev, d } = await device('http-cmd');
    dev.onCommand('shutdown', (params) => ({ stopped: true, ...params }));
    await dev.connect();
    const r = await api.post<{ status: string; result: unknown }>(
      `/api/v1/devices/${d.id}/commands?wait=5s`,
      {
        name: 'shutdown',
        params: { reason: 'test' },
      },
    );
    assert.deepEqual([r.body.status, r.body.result], ['succeeded', { stopped: true, reason: 'test' }]);
    const unknown = await api.post<{ status: string; error: string }>(
      `/api/v1/devices/${d.id}/commands?wait=5s`,
      {
        name: 'reboot',
      },
    );
    assert.equal(unknown.body.status, 'failed');
    assert.match(unknown.body.error, /unknown command/);
  });

  test('desired state arrives on connect and by long poll; reports merge', { timeout: 30_000 }, async () => {
    const { dev, d } = await device('http-twin');
    await api.patch(`/api/v1/devices/${d.id}/twin`, { desired: { setpoint: 19 } });
    const seen: unknown[] = [];
    dev.onDesired((state, version) => {
      seen.push([state, version]);
    });
    await dev.connect();
    await waitUntil(() => seen.length === 1, 2000, 'the current desired state');
    await api.patch(`/api/v1/devices/${d.id}/twin`, { desired: { setpoint: 21 } });
    await waitUntil(() => seen.length === 2, 5000, 'the change by long poll');
    assert.deepEqual(seen, [
      [{ setpoint: 19 }, 1],
      [{ setpoint: 21 }, 2],
    ]);
    await dev.report({ setpoint: 21 });
    const twin = await api.get<{ reported: unknown; delta: unknown }>(`/api/v1/devices/${d.id}/twin`);
    assert.deepEqual([twin.body.reported, twin.body.delta], [{ setpoint: 21 }, {}]);
  });

  test('a wrong secret fails connect() at once with AUTH_FAILED (HTTP 401)', {
    timeout: 30_000,
  }, async () => {
    const d = await createDevice(api, { id: 'http-badauth' });
    const dev = new PlexusDevice({
      url: app.url,
      id: d.id,
      secret: 'wrong',
      reconnect: { minMs: 10, maxMs: 20 },
    });
    const t0 = Date.now();
    await assert.rejects(
      dev.connect(),
      (e: unknown) => e instanceof DeviceSdkError && e.code === 'AUTH_FAILED' && e.reasonCode === 401,
    );
    assert.ok(Date.now() - t0 < 3000);
    await dev.close();
  });
});
