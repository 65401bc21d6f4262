/**
 * Rules and alarms end to end on the running platform: an admin saves a rule
 * over REST, a real MQTT device sends telemetry, the rule engine raises the
 * alarm, an operator acknowledges it over REST, and it clears by itself when
 * the machine cools down. The live stream shows each alarm change.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { type Client, client } from '../helpers/http.js';
import { adminClient, connect, createDevice, end } from '../helpers/mqtt.js';
import { waitUntil } from '../helpers/mqtt-extra.js';

interface Alarm {
  readonly id: string;
  readonly device: string;
  readonly rule?: string;
  readonly type: string;
  readonly severity: string;
  readonly status: string;
  readonly message: string;
  readonly count: number;
  readonly acknowledgedBy?: string;
  readonly clearedBy?: string;
}

describe('rules and alarms end to end', () => {
  let app: TestApp;
  let api: Client;
  before(async () => {
    app = await startTestApp();
    api = await adminClient(app);
  });
  after(() => app.stop());

  const alarms = async (q = '') => (await api.get<{ items: Alarm[] }>(`/api/v1/alarms${q}`)).body.items;

  test('overheating press: alarm raised after the duration, acknowledged, cleared when it cools down', async () => {
    assert.equal((await api.post('/api/v1/profiles', { id: 'press' })).status, 201);
    const rule = await api.call<{ name: string; version: number }>('PUT', '/api/v1/rules/press-overheat', {
      target: { profile: 'press' },
      condition: { type: 'threshold', key: 'temperature', op: '>', value: 90, for: '1s' },
      alarm: { type: 'overheat', severity: 'critical', message: '{{device}} is at {{value}} °C' },
    });
    assert.ok([200, 201].includes(rule.status), JSON.stringify(rule.body));
    assert.equal(rule.body.version, 1);

    const press = await createDevice(api, { id: 'press-7', profile: 'press' });
    const other = await createDevice(api, { id: 'pump-1' });
    const login = await client(app.url).post<{ token: string }>('/api/v1/auth/login', {
      username: app.admin.username,
      password: app.admin.password,
    });
    const ws = new WebSocket(`${app.url.replace('http', 'ws')}/api/v1/stream`, {
      headers: { authorization: `Bearer ${login.body.token}` },
    });
    const live: { type: string; status?: string; alarmType?: string }[] = [];
    ws.on('message', (m) => live.push(JSON.parse(m.toString())));
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'subscribe', devices: '*', kinds: ['alarms'] }));

    const device = await connect(app, press);
    const pump = await connect(app, other);
    // Device time from now on: the engine's clock must not complete "for 1s" before the points do.
    const t0 = Date.now();
    const send = (c: typeof device, ts: number, temperature: number) =>
      c.publishAsync(
        `devices/${c.options.clientId}/telemetry`,
        JSON.stringify({ ts, values: { temperature } }),
        {
          qos: 1,
        },
      );
    await send(device, t0, 95);
    await send(pump, t0, 99);
    await send(pump, t0 + 5000, 99);
    await send(device, t0 + 500, 96);
    assert.deepEqual(await alarms(), [], 'not yet: 90 °C must hold for 1 s; the pump is not a press');
    await send(device, t0 + 1200, 97);
    await waitUntil(
      () => live.some((m) => m.type === 'alarm' && m.status === 'active'),
      3000,
      'alarm on the stream',
    );
    const [raised] = await alarms('?status=open');
    assert.ok(raised);
    assert.deepEqual(
      [raised.device, raised.rule, raised.type, raised.severity, raised.status, raised.message],
      ['press-7', 'press-overheat', 'overheat', 'critical', 'active', 'press-7 is at 97 °C'],
    );

    const ack = await api.post<Alarm>(`/api/v1/alarms/${raised.id}/acknowledge`, { comment: 'on my way' });
    assert.equal(ack.status, 200, JSON.stringify(ack.body));
    assert.equal(ack.body.status, 'acknowledged');
    assert.equal(ack.body.acknowledgedBy, 'user:admin');

    await send(device, t0 + 2000, 60);
    await waitUntil(
      () => live.some((m) => m.type === 'alarm' && m.status === 'cleared'),
      3000,
      'cleared on the stream',
    );
    const cleared = await api.get<Alarm & { comments: { text: string; author: string }[] }>(
      `/api/v1/alarms/${raised.id}`,
    );
    assert.equal(cleared.body.status, 'cleared');
    assert.equal(cleared.body.clearedBy, 'rule:press-overheat');
    assert.deepEqual(
      cleared.body.comments.map((c) => [c.author, c.text]),
      [['user:admin', 'on my way']],
    );
    assert.deepEqual(await alarms('?status=open'), []);
    const audit = await api.get<{ items: { action: string }[] }>('/api/v1/audit?resource=alarm');
    assert.ok(audit.body.items.some((r) => r.action === 'alarm.acknowledge'));
    ws.close();
    await Promise.all([end(device), end(pump)]);
  });

  test('an invalid rule is refused with the exact path; nothing is saved', async () => {
    const r = await api.call<{ code: string; errors: { path: string }[] }>('PUT', '/api/v1/rules/broken', {
      target: { profile: 'press' },
      condition: { type: 'threshold', key: 'temperature', op: '=>', value: 90 },
      alarm: { type: 'overheat', severity: 'critical' },
    });
    assert.equal(r.status, 400);
    assert.equal(r.body.code, 'RULE_INVALID');
    assert.deepEqual(
      r.body.errors.map((e) => e.path),
      ['/body/condition/op'],
    );
    assert.equal((await api.get('/api/v1/rules/broken')).status, 404);
  });
});
