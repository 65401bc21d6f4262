/**
 * `plexus sim factory`'s story end to end on a real server: a bearing fault
 * injected at once on the first machine, at 120× speed. Everything is
 * checked over REST, as an operator would see it in the dashboard.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createFactoryPack, runSimulation, type Summary } from '../../sim/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient } from '../helpers/mqtt.js';
import { createApiKey } from '../helpers/mqtt-extra.js';
import { until } from '../helpers/until.js';

interface Alarm {
  readonly device: string;
  readonly rule?: string;
  readonly type: string;
  readonly severity: string;
  readonly status: string;
  readonly raisedAt: number;
}
interface Command {
  readonly name: string;
  readonly status: string;
  readonly actor: string;
  readonly params: Record<string, unknown>;
  readonly result?: Record<string, unknown>;
  readonly createdAt?: number | string;
}
type Latest = Record<string, { ts: number; value: number | string }>;

let app: TestApp;
let api: Client;
before(async () => {
  app = await startTestApp();
  api = await adminClient(app);
});
after(async () => {
  await app?.stop();
});

test('bearing fault → maintenance and overheat alarms → shutdown command → the machine stops and cools', {
  timeout: 30_000,
}, async () => {
  const { key } = await createApiKey(api, 'admin');
  const ac = new AbortController();
  const run: Promise<Summary> = runSimulation({
    pack: createFactoryPack({ faulty: [0], faultAtS: 0, faultGrowthS: 300 }),
    devices: 2,
    rate: 20,
    speed: 120,
    seed: 1,
    url: app.url,
    auth: { apiKey: key },
    durationMs: 20_000,
    signal: ac.signal,
  });
  run.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
  const alarms = async (q: Record<string, string>) =>
    (await api.get<{ items: Alarm[] }>(`/api/v1/alarms?${new URLSearchParams(q)}`)).body.items;
  try {
    const maintenance = await until(
      async () => (await alarms({ type: 'maintenance' }))[0],
      12_000,
      'the maintenance alarm',
    );
    assert.deepEqual(
      [maintenance.device, maintenance.rule, maintenance.severity],
      ['factory-press-1', 'factory-bearing-maintenance', 'major'],
    );
    const overheat = await until(
      async () => (await alarms({ type: 'overheat' }))[0],
      12_000,
      'the overheat alarm',
    );
    assert.deepEqual([overheat.device, overheat.severity], ['factory-press-1', 'critical']);

    const shutdown = await until(
      async () => {
        const [c] = (await api.get<{ items: Command[] }>('/api/v1/devices/factory-press-1/commands')).body
          .items;
        return c?.status === 'succeeded' ? c : undefined;
      },
      12_000,
      'the shutdown command to succeed',
    );
    assert.deepEqual(
      [shutdown.name, shutdown.actor, shutdown.result?.stopped],
      ['shutdown', 'rule:factory-shutdown', true],
    );
    const m = /^factory-shutdown: (\d+(\.\d)?) °C$/.exec(String(shutdown.params.reason));
    assert.ok(m && Number(m[1]) > 90, String(shutdown.params.reason));

    // It obeyed: spindle at 0, state stopped, twin says so, and the temperature falls under 90 (the alarm clears).
    const cooled = await until(
      async () => {
        const l = (await api.get<Latest>('/api/v1/devices/factory-press-1/telemetry/latest')).body;
        return l.state?.value === 'stopped' && (l.temperature?.value as number) < 85 ? l : undefined;
      },
      8_000,
      'the machine to cool under 90 °C',
    );
    assert.equal(cooled.rpm?.value, 0);
    const twin = (
      await api.get<{ reported: Record<string, unknown> }>('/api/v1/devices/factory-press-1/twin')
    ).body;
    assert.equal(twin.reported.state, 'stopped');
    assert.match(String(twin.reported.stoppedBy), /^factory-shutdown/);
    await until(
      async () => (await alarms({ type: 'overheat', status: 'cleared' }))[0],
      8_000,
      'the overheat alarm to clear',
    );
    const history = (
      await api.get<{ items: { ts: number; value: number }[] }>(
        '/api/v1/devices/factory-press-1/telemetry?keys=temperature&limit=1000',
      )
    ).body.items;
    const peak = Math.max(...history.map((p) => p.value));
    assert.ok(peak > 90, `peak ${peak} °C`);

    // The healthy machine: no alarm, still running.
    assert.deepEqual(await alarms({ device: 'factory-lathe-2' }), []);
    const lathe = (await api.get<Latest>('/api/v1/devices/factory-lathe-2/telemetry/latest')).body;
    assert.equal(lathe.state?.value, 'running');
  } finally {
    ac.abort();
  }
  const summary = await run;
  assert.equal(summary.devices, 2);
  assert.ok(summary.points > 50, `${summary.points} points`);
  assert.equal(summary.commandsAnswered, 1);
  assert.equal(summary.errors, 0);
  assert.equal(summary.connected, 0, 'every device disconnected');
});
