/**
 * The dashboard's server side (issue #7): the built app served at `/` with
 * page URLs falling back to index.html (API 404s stay problems), its CSP
 * and caching; and the two endpoints made for it: the fleet overview and
 * device positions for the map.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient, connect, createDevice, end } from '../helpers/mqtt.js';
import { sleep } from '../helpers/mqtt-extra.js';

describe('dashboard serving', () => {
  let app: TestApp;
  let api: Client;

  before(async () => {
    app = await startTestApp({
      env: { PLEXUS_DASHBOARD_MAP_TILES: 'https://tiles.example.net/{z}/{x}/{y}.png' },
    });
    api = await adminClient(app);
  });
  after(() => app.stop());

  test('index.html at / and at every page URL, never cached, with a CSP that allows only the tile host', async () => {
    for (const path of ['/', '/devices/press-7', '/alarms?status=open', '/rules/new']) {
      const r = await fetch(app.url + path, { headers: { accept: 'text/html' } });
      assert.equal(r.status, 200, path);
      assert.match(r.headers.get('content-type') ?? '', /text\/html/);
      assert.equal(r.headers.get('cache-control'), 'no-cache');
      const csp = r.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'/);
      assert.match(csp, /img-src 'self' data: blob: https:\/\/tiles\.example\.net/);
      assert.match(await r.text(), /<div id="root">/);
    }
  });

  test('hashed assets are cached for a year; unknown API and file paths stay 404 problems', async () => {
    const html = await (await fetch(`${app.url}/`)).text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(asset, 'the page loads its script from /assets');
    const js = await fetch(app.url + asset);
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    for (const [path, status] of [
      ['/api/v1/no-such-thing', 401],
      ['/device/v1/nothing', 404],
      ['/assets/missing.js', 404],
    ] as const) {
      const r = await fetch(app.url + path, { headers: { accept: 'text/html' } });
      assert.equal(r.status, status, path);
      assert.match(r.headers.get('content-type') ?? '', /problem\+json/, path);
    }
    const info = await api.get<{ map: { tiles: string } }>('/api/v1/info');
    assert.equal(info.body.map.tiles, 'https://tiles.example.net/{z}/{x}/{y}.png');
  });

  test('overview: devices by status, open alarms and alarming devices, ingest rate', async () => {
    const truck = await createDevice(api, { id: 'truck-1' });
    await createDevice(api, { id: 'truck-2' });
    const rule = await api.call('PUT', '/api/v1/rules/too-fast', {
      target: { devices: ['truck-1'] },
      condition: { type: 'threshold', key: 'speed', op: '>', value: 90 },
      alarm: { type: 'speeding', severity: 'major' },
    });
    assert.equal(rule.status, 201);
    const c = await connect(app, truck);
    for (let i = 0; i < 5; i++) {
      await c.publishAsync(
        'devices/truck-1/telemetry',
        JSON.stringify({ speed: 95 + i, lat: 45.7 + i / 100, lon: 4.8 }),
        {
          qos: 1,
        },
      );
    }
    // The rate counts whole seconds that have passed.
    await sleep(1100);
    const o = await api.get<{
      devices: Record<string, number>;
      alarms: { total: number; devices: number };
      ingest: { pointsPerSecond: number; messagesPerSecond: number };
    }>('/api/v1/overview');
    assert.equal(o.status, 200, JSON.stringify(o.body));
    assert.deepEqual(o.body.devices, { total: 2, online: 1, offline: 0, unknown: 1 });
    assert.deepEqual([o.body.alarms.total, o.body.alarms.devices], [1, 1]);
    assert.ok(o.body.ingest.pointsPerSecond > 0, JSON.stringify(o.body.ingest));
    assert.ok(Math.abs(o.body.ingest.pointsPerSecond - 15 / 9) < 1e-9, 'last 9 full seconds: 15 points');

    const pos = await api.get<{ items: { device: string; lat: number; lon: number }[] }>(
      '/api/v1/telemetry/positions',
    );
    assert.deepEqual(
      pos.body.items.map((p) => [p.device, p.lat, p.lon]),
      [['truck-1', 45.74, 4.8]],
      'only devices that report a position',
    );
    const other = await api.get<{ items: unknown[] }>('/api/v1/telemetry/positions?lat=speed&lon=lat');
    assert.equal(other.body.items.length, 0, 'speed 99 is not a latitude');
    await end(c);
  });
});
