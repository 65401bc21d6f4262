/**
 * `plexus sim fleet`'s story end to end on a real server at 300× speed: the
 * depot geofence fires both ways, the speeder, the nearly empty truck, the
 * breakdown and the silent tracker each raise their alarm.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createFleetPack, runSimulation, type Summary } from '../../sim/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient } from '../helpers/mqtt.js';
import { createApiKey, sleep } from '../helpers/mqtt-extra.js';

interface Alarm {
  readonly device: string;
  readonly type: string;
  readonly severity: string;
  readonly status: string;
}

let app: TestApp;
let api: Client;
before(async () => {
  app = await startTestApp();
  api = await adminClient(app);
});
after(async () => {
  await app?.stop();
});

test('depot exit and enter, speeding, low fuel, stopped and no-signal alarms', {
  timeout: 30_000,
}, async () => {
  const { key } = await createApiKey(api, 'admin');
  const ac = new AbortController();
  const run: Promise<Summary> = runSimulation({
    pack: createFleetPack({
      speeding: [0],
      lowFuel: [1],
      breakdown: [2],
      silent: [3],
      breakdownAtS: 0,
      breakdownForS: 3600,
      silentAtS: 60,
      silentForS: 3600,
      departEveryS: 0,
    }),
    devices: 4,
    rate: 40,
    speed: 300,
    seed: 3,
    url: app.url,
    auth: { apiKey: key },
    durationMs: 20_000,
    signal: ac.signal,
  });
  run.catch(() => undefined);
  const wanted = new Map([
    ['fleet-truck-1 depot-exit', 'info'],
    ['fleet-truck-1 speeding', 'warning'],
    ['fleet-truck-1 depot-enter', 'info'],
    ['fleet-truck-2 low-fuel', 'minor'],
    ['fleet-truck-3 stopped', 'major'],
    ['fleet-truck-4 no-signal', 'major'],
  ]);
  let seen = new Map<string, string>();
  try {
    const end = Date.now() + 15_000;
    while (Date.now() < end) {
      const items = (await api.get<{ items: Alarm[] }>('/api/v1/alarms?limit=1000')).body.items;
      seen = new Map(items.map((a) => [`${a.device} ${a.type}`, a.severity]));
      if ([...wanted.keys()].every((k) => seen.has(k))) break;
      await sleep(200);
    }
  } finally {
    ac.abort();
  }
  for (const [k, severity] of wanted)
    assert.equal(seen.get(k), severity, `${k} (seen: ${[...seen.keys()].join(', ')})`);
  // Only the speeder speeds; the broken-down truck is the one standing still.
  assert.deepEqual(
    [...seen.keys()].filter((k) => k.endsWith(' speeding')),
    ['fleet-truck-1 speeding'],
  );
  assert.ok(![...seen.keys()].includes('fleet-truck-1 stopped'));

  // The map's keys: lat/lon in Lyon.
  const latest = (
    await api.get<Record<string, { value: number }>>('/api/v1/devices/fleet-truck-2/telemetry/latest')
  ).body;
  assert.ok(
    Math.abs((latest.lat?.value ?? 0) - 45.75) < 0.3 && Math.abs((latest.lon?.value ?? 0) - 4.84) < 0.3,
  );
  const summary = await run;
  assert.ok(summary.points > 100, `${summary.points} points`);
  assert.equal(summary.errors, 0);
});
