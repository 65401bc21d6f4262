/**
 * The home pack end to end: the simulator provisions a street of homes on a
 * real Plexus, the households leave for work (compressed: 5 sim minutes a
 * real second), rule home-away sets each thermostat's twin to away and the
 * thermostat follows it and reports it, an operator's change of the comfort
 * setpoint is followed too, and the break-in in home 1 raises a critical
 * intrusion alarm from the door's event; the light obeys a command.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createHomePack } from '../../sim/packs/home.js';
import { runSimulation } from '../../sim/runner.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient } from '../helpers/mqtt.js';
import { createApiKey } from '../helpers/mqtt-extra.js';
import { until } from '../helpers/until.js';

interface Twin {
  readonly desired: Record<string, unknown>;
  readonly reported: Record<string, unknown>;
}
interface Alarm {
  readonly device: string;
  readonly type: string;
  readonly severity: string;
  readonly rule?: string;
  readonly status: string;
}

/** Polls `check` until it returns something truthy; fails with `what` after `ms`. */

let app: TestApp;
let api: Client;
before(async () => {
  app = await startTestApp();
  api = await adminClient(app);
});
after(() => app.stop());

test('homes: away via a rule on the twin, desired followed and reported, break-in alarm', {
  timeout: 30_000,
}, async () => {
  const { key } = await createApiKey(api, 'admin');
  const ac = new AbortController();
  const run = runSimulation({
    pack: createHomePack({ start: '07:55', intrusions: [1], intrusionAfterMin: 15 }),
    devices: 6, // two homes: thermostat, door, light each
    rate: 30,
    speed: 300,
    url: app.url,
    auth: { apiKey: key },
    seed: 9,
    durationMs: 18_000,
    signal: ac.signal,
  });
  const twin = async (id: string) => (await api.get<Twin>(`/api/v1/devices/${id}/twin`)).body;
  try {
    // The pack's setup wrote each thermostat's schedule into its desired state.
    const scheduled = await until(
      async () => {
        const t = await twin('home-thermostat-2');
        return t?.desired?.wake === '06:30' && t;
      },
      8000,
      'the schedule in the desired state',
    );
    assert.equal(scheduled.desired.comfort, 21);
    // An operator raises home 2's comfort setpoint: the thermostat applies it and reports it.
    const patch = await api.patch('/api/v1/devices/home-thermostat-2/twin', { desired: { comfort: 23.5 } });
    assert.equal(patch.status, 200, JSON.stringify(patch.body));
    await until(
      async () => (await twin('home-thermostat-2')).reported.comfort === 23.5,
      8000,
      'comfort 23.5 reported',
    );

    // Home 1 leaves at 08:00; 10 minutes later rule home-away sets desired away, the thermostat follows.
    const away = await until(
      async () => {
        const t = await twin('home-thermostat-1');
        return t.reported.mode === 'away' && t;
      },
      12_000,
      'home 1 thermostat in away mode',
    );
    assert.equal(away.desired.away, true, 'set by the rule');
    assert.equal(away.reported.away, true);
    assert.equal(away.reported.setpoint, 16, 'the eco setpoint');

    // The break-in: the door opened while armed → a critical intrusion alarm.
    const intrusion = await until(
      async () => {
        const r = await api.get<{ items: Alarm[] }>('/api/v1/alarms?type=intrusion');
        return r.body.items[0];
      },
      12_000,
      'the intrusion alarm',
    );
    assert.equal(intrusion.device, 'home-door-1');
    assert.equal(intrusion.severity, 'critical');
    assert.equal(intrusion.rule, 'home-intrusion');
    const events = await api.get<{ items: { type: string; data: Record<string, unknown> }[] }>(
      '/api/v1/devices/home-door-1/events?type=door_open',
    );
    assert.ok(
      events.body.items.some((e) => e.data.armed === true),
      JSON.stringify(events.body),
    );
    assert.ok(
      events.body.items.some((e) => e.data.armed === false),
      'the household left through it first',
    );

    // The light obeys a command from an operator.
    const cmd = await api.post<{ status: string; result: unknown }>(
      '/api/v1/devices/home-light-1/commands?wait=5s',
      {
        name: 'switch',
        params: { on: true },
      },
    );
    assert.equal(cmd.body.status, 'succeeded', JSON.stringify(cmd.body));
    assert.deepEqual(cmd.body.result, { on: true });
    // A thermostat follows the room physics: it reports temperatures around its setpoint.
    const latest = await api.get<Record<string, { value: unknown }>>(
      '/api/v1/devices/home-thermostat-2/telemetry/latest',
    );
    const temp = latest.body.temperature?.value as number;
    assert.ok(temp > 10 && temp < 30, `room at ${temp}`);
  } finally {
    ac.abort();
  }
  const summary = await run;
  assert.ok(summary.points > 50, `${summary.points} points`);
  assert.ok(summary.commandsAnswered >= 1);
  const others = await api.get<{ items: Alarm[] }>('/api/v1/alarms?type=intrusion&device=home-door-2');
  assert.deepEqual(others.body.items, [], 'no break-in in home 2');
});
