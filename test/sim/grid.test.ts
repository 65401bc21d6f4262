/**
 * The grid pack end to end: a feeder with EV charging hubs and household
 * meters from 17:45 (5 sim minutes a real second); the evening peak takes
 * the feeder over 90 %, rule grid-feeder-overload raises an alarm and sends
 * `shed` to every hub, the hubs answer, cap their power and report it, the
 * feeder's load falls back; the meters' kWh register reads back as an
 * hourly aggregate for billing, and only ever grows.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createGridPack } from '../../sim/packs/grid.js';
import { runSimulation } from '../../sim/runner.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient } from '../helpers/mqtt.js';
import { createApiKey } from '../helpers/mqtt-extra.js';
import { until } from '../helpers/until.js';

interface Command {
  readonly device: string;
  readonly name: string;
  readonly status: string;
  readonly actor: string;
  readonly completedAt?: number;
  readonly result?: { shed: boolean; power: number; powerBefore: number };
}
interface Point {
  readonly ts: number;
  readonly value: number;
}

const FLEX = ['grid-flex-1', 'grid-flex-2', 'grid-flex-3', 'grid-flex-4'];
let app: TestApp;
let api: Client;
before(async () => {
  app = await startTestApp();
  api = await adminClient(app);
});
after(() => app.stop());

test('feeder overload at the evening peak: shed commands obeyed, load falls, kWh for billing', {
  timeout: 30_000,
}, async () => {
  const { key } = await createApiKey(api, 'admin');
  const t0 = Date.now();
  const ac = new AbortController();
  const run = runSimulation({
    pack: createGridPack({ start: '17:45' }),
    devices: 8, // the feeder, 4 hubs, 3 meters
    rate: 40,
    speed: 300,
    url: app.url,
    auth: { apiKey: key },
    seed: 3,
    durationMs: 18_000,
    signal: ac.signal,
  });
  const shedOf = async () => {
    const r = await api.get<{ items: Command[] }>('/api/v1/commands?status=succeeded');
    const cmds = r.body.items.filter((c) => c.name === 'shed');
    return FLEX.every((d) => cmds.some((c) => c.device === d)) && cmds;
  };
  let shed: Command[];
  try {
    shed = await until(shedOf, 14_000, 'shed commands answered by every hub');
    // The hubs now draw less: the feeder's load comes back under the threshold.
    await until(
      async () => {
        const r = await api.get<{ load?: Point }>('/api/v1/devices/grid-feeder-1/telemetry/latest');
        const load = r.body.load;
        const done = Math.max(...shed.map((c) => c.completedAt ?? 0));
        const hub = await api.get<{ power?: Point }>('/api/v1/devices/grid-flex-1/telemetry/latest');
        return (
          load !== undefined && load.ts > done && load.value < 85 && (hub.body.power?.ts ?? 0) > done + 300
        );
      },
      6000,
      'the feeder back under 85 % and the hubs reporting after the shed',
    );
  } finally {
    ac.abort();
  }
  const summary = await run;
  assert.ok(summary.commandsAnswered >= FLEX.length);

  for (const c of shed) {
    assert.equal(c.actor, 'rule:grid-feeder-overload');
    assert.equal(c.result?.shed, true);
    assert.ok((c.result?.power ?? 1e9) < (c.result?.powerBefore ?? 0), JSON.stringify(c.result));
  }
  const alarms = await api.get<{ items: { device: string; type: string; severity: string }[] }>(
    '/api/v1/alarms?type=feeder-overload',
  );
  assert.deepEqual(
    alarms.body.items.map((a) => [a.device, a.severity]),
    [['grid-feeder-1', 'major']],
  );
  // A hub's own telemetry shows it obeyed: its power after the command is well under its power before.
  const done = shed.find((c) => c.device === 'grid-flex-1')?.completedAt ?? 0;
  const power = await api.get<{ items: Point[] }>(
    '/api/v1/devices/grid-flex-1/telemetry?keys=power&limit=1000',
  );
  const before = power.body.items.filter((p) => p.ts < done).map((p) => p.value);
  const afterShed = power.body.items.filter((p) => p.ts > done + 100).map((p) => p.value);
  assert.ok(before.length > 0 && afterShed.length > 0);
  assert.ok(
    Math.max(...afterShed) < 0.5 * Math.max(...before),
    `${Math.max(...afterShed)} vs ${Math.max(...before)}`,
  );
  const twin = await api.get<{ reported: { shed: boolean } }>('/api/v1/devices/grid-flex-1/twin');
  assert.equal(twin.body.reported.shed, true);

  // Billing: the energy register per hour (last, max) and per second; never going down.
  const hourly = await api.get<{ items: { ts: number; last: number; max: number }[] }>(
    '/api/v1/devices/grid-meter-1/telemetry?keys=energy&agg=last,max&interval=1h',
  );
  assert.equal(hourly.status, 200, JSON.stringify(hourly.body));
  assert.ok(hourly.body.items.length >= 1);
  for (const b of hourly.body.items)
    assert.equal(b.last, b.max, 'a growing register ends each hour at its max');
  const perSecond = await api.get<{ items: { ts: number; last: number; max: number }[] }>(
    `/api/v1/devices/grid-meter-1/telemetry?keys=energy&agg=last,max&interval=1s&from=${t0 - 1000}`,
  );
  const lasts = perSecond.body.items.map((b) => b.last);
  assert.ok(lasts.length >= 3, `${lasts.length} buckets`);
  for (let i = 1; i < lasts.length; i++)
    assert.ok((lasts[i] as number) >= (lasts[i - 1] as number), 'monotonic');
  assert.ok((lasts[lasts.length - 1] as number) > (lasts[0] as number), 'the house used energy');
  assert.equal(hourly.body.items[hourly.body.items.length - 1]?.last, lasts[lasts.length - 1]);
});
