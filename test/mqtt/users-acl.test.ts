import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient, connect, createDevice, end } from '../helpers/mqtt.js';
import {
  collect,
  createApiKey,
  keyOpts,
  RawClient,
  sleep,
  tenantApi,
  waitUntil,
} from '../helpers/mqtt-extra.js';

type Rule = { permission: 'allow' | 'deny'; action: 'publish' | 'subscribe' | 'both'; topic: string };

/** MQTT users as the broker applies them (docs/mqtt-users.md): rules on subscribe, publish and every delivery. */
describe('MQTT users: ACL rules on live sessions', () => {
  let app: TestApp;
  let api: Client;
  let program: MqttClient;
  const clients: MqttClient[] = [];

  async function createUser(username: string, rules: Rule[], extra: Record<string, unknown> = {}, c = api) {
    const r = await c.post<{ secret: string }>('/api/v1/mqtt-users', { username, rules, ...extra });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.secret;
  }
  const userOpts = (username: string, secret: string, clientId = `${username}-c`): IClientOptions => ({
    username,
    password: secret,
    clientId,
  });
  const track = async (c: Promise<MqttClient>) => {
    const client = await c;
    clients.push(client);
    return client;
  };
  /** Publishes from the program (an API key) and waits for the broker to take them. */
  const send = async (...topics: string[]) => {
    for (const t of topics) await program.publishAsync(t, t, { qos: 1 });
  };

  before(async () => {
    app = await startTestApp({ env: { PLEXUS_MQTT_SYS_INTERVAL: '1' } });
    api = await adminClient(app);
    const key = await createApiKey(api, 'operator');
    program = await connect(app, undefined, keyOpts(key.key));
  });
  after(async () => {
    for (const c of clients) c.end(true);
    program.end(true);
    await app.stop();
  });

  test('a user limited to plant/%u/# cannot read or write anything else', async () => {
    const secret = await createUser('line1', [{ permission: 'allow', action: 'both', topic: 'plant/%u/#' }]);
    const { client } = await RawClient.login(app.mqttPort, 5, {
      username: 'line1',
      password: secret,
      clientId: 'l1',
    });
    assert.deepEqual(await client.subscribe('plant/line1/#', 1), [1]);
    for (const wider of ['plant/#', 'plant/+/temp', '#', '+/line1/#', 'plant/line2/#', '$SYS/#']) {
      assert.deepEqual(await client.subscribe(wider, 1), [0x87], wider);
    }
    client.publish('plant/line2/cmd', 'x', { qos: 1, messageId: 3 });
    assert.equal(((await client.next('puback')) as { reasonCode?: number }).reasonCode, 0x87);
    await send('plant/line2/temp', 'plant/line1/temp');
    await client.next((p) => p.cmd === 'publish' && p.topic === 'plant/line1/temp');
    assert.deepEqual(
      client.publishes().map((p) => p.topic),
      ['plant/line1/temp'],
    );
    client.destroy();
    // A 3.1.1 client of the same user gets 0x80 for refused filters.
    const v3 = await RawClient.login(app.mqttPort, 4, {
      username: 'line1',
      password: secret,
      clientId: 'l1-v3',
    });
    assert.deepEqual(await v3.client.subscribe('plant/#', 1), [0x80]);
    v3.client.destroy();
  });

  test('one rule lets a Node-RED flow read all device telemetry; it can never write the devices/ tree', async () => {
    const secret = await createUser('nodered', [
      { permission: 'allow', action: 'both', topic: 'devices/+/telemetry' },
    ]);
    const flow = await track(connect(app, undefined, userOpts('nodered', secret)));
    const got = collect(flow);
    await flow.subscribeAsync('devices/+/telemetry', { qos: 1 });
    const dev = await createDevice(api, { id: 'press-9' });
    const d = await track(connect(app, dev));
    await d.publishAsync('devices/press-9/telemetry', '{"temp":80}', { qos: 1 });
    await waitUntil(() => got.length === 1, 3000, 'telemetry at the flow');
    assert.equal(got[0]?.topic, 'devices/press-9/telemetry');
    await assert.rejects(flow.publishAsync('devices/press-9/telemetry', '{"temp":1}', { qos: 1 }), {
      code: 0x87,
    });
  });

  test('narrowed rules apply at once to the live session, its queued and its retained messages', async () => {
    const secret = await createUser('grafana', [
      { permission: 'allow', action: 'subscribe', topic: 'metrics/#' },
    ]);
    const opts = {
      ...userOpts('grafana', secret, 'graf'),
      clean: false,
      properties: { sessionExpiryInterval: 300 },
    };
    const live = await connect(app, undefined, opts);
    const got = collect(live);
    await live.subscribeAsync('metrics/#', { qos: 1 });
    await send('metrics/a/1', 'metrics/b/1');
    await waitUntil(() => got.length === 2, 3000, 'both before narrowing');
    const narrowed: Rule[] = [
      { permission: 'deny', action: 'subscribe', topic: 'metrics/b/#' },
      { permission: 'allow', action: 'subscribe', topic: 'metrics/#' },
    ];
    assert.equal((await api.patch('/api/v1/mqtt-users/grafana', { rules: narrowed })).status, 200);
    await send('metrics/b/2', 'metrics/a/2');
    await waitUntil(() => got.length === 3, 3000, 'metrics/a/2');
    assert.deepEqual(
      got.map((m) => m.topic),
      ['metrics/a/1', 'metrics/b/1', 'metrics/a/2'],
      'the live subscription no longer carries metrics/b',
    );
    // Queued while away, then narrowed further: what the rules now refuse never arrives.
    await end(live);
    await send('metrics/a/3', 'metrics/c/3');
    const tighter: Rule[] = [{ permission: 'allow', action: 'subscribe', topic: 'metrics/a/#' }];
    assert.equal((await api.patch('/api/v1/mqtt-users/grafana', { rules: tighter })).status, 200);
    const back = mqtt.connect(`mqtt://127.0.0.1:${app.mqttPort}`, {
      ...opts,
      protocolVersion: 5,
      reconnectPeriod: 0,
    });
    clients.push(back);
    const queued = collect(back);
    await waitUntil(() => queued.length >= 1, 3000, 'queued metrics/a/3');
    await sleep(200);
    assert.deepEqual(
      queued.map((m) => m.topic),
      ['metrics/a/3'],
    );
    // Retained: a new subscription replays only what the rules allow.
    for (const l of ['a', 'b', 'c'])
      await program.publishAsync(`metrics/${l}/last`, l, { qos: 1, retain: true });
    assert.equal((await api.patch('/api/v1/mqtt-users/grafana', { rules: narrowed })).status, 200);
    const replay = await RawClient.login(app.mqttPort, 5, {
      username: 'grafana',
      password: secret,
      clientId: 'graf-2',
    });
    assert.deepEqual(await replay.client.subscribe('metrics/+/last', 1), [1]);
    await waitUntil(() => replay.client.publishes().length >= 2, 2000, 'two retained');
    await sleep(200);
    assert.deepEqual(
      replay.client
        .publishes()
        .map((p) => p.topic)
        .sort(),
      ['metrics/a/last', 'metrics/c/last'],
    );
    replay.client.destroy();
  });

  test('deleting a user or rotating its secret ends its sessions; the old secret stops working', async () => {
    const secret = await createUser('bench', [{ permission: 'allow', action: 'both', topic: 'bench/#' }]);
    const first = await RawClient.login(app.mqttPort, 5, {
      username: 'bench',
      password: secret,
      clientId: 'b1',
    });
    const rotated = await api.post<{ secret: string }>('/api/v1/mqtt-users/bench/secret', {});
    assert.equal(rotated.status, 200);
    await first.client.waitClosed();
    assert.equal(first.client.disconnectPacket()?.reasonCode, 0x87);
    const old = await RawClient.open(app.mqttPort, 5);
    assert.equal(
      (await old.connect({ username: 'bench', password: secret, clientId: 'b2' })).reasonCode,
      0x86,
    );
    const fresh = await RawClient.login(app.mqttPort, 5, {
      username: 'bench',
      password: rotated.body.secret,
      clientId: 'b3',
    });
    assert.equal((await api.del('/api/v1/mqtt-users/bench')).status, 204);
    await fresh.client.waitClosed();
    const gone = await RawClient.open(app.mqttPort, 5);
    assert.equal(
      (await gone.connect({ username: 'bench', password: rotated.body.secret, clientId: 'b4' })).reasonCode,
      0x86,
    );
  });

  test('$SYS: a tenant user sees its tenant, a platform user the whole platform', async () => {
    const sysRule: Rule[] = [{ permission: 'allow', action: 'subscribe', topic: '$SYS/#' }];
    const other = await tenantApi(app, api, 'sys-b');
    const secretB = await createUser('watcher', sysRule, {}, other);
    const platformSecret = await createUser('ops', sysRule, { sys: 'platform' });
    const tenantB = await track(connect(app, undefined, userOpts('watcher@sys-b', secretB)));
    const platform = await track(connect(app, undefined, userOpts('ops', platformSecret)));
    const [inB, inPlatform] = [collect(tenantB), collect(platform)];
    await tenantB.subscribeAsync('$SYS/broker/clients/connected', { qos: 0 });
    await platform.subscribeAsync('$SYS/broker/clients/connected', { qos: 0 });
    const latest = (r: { payload: string }[]) => Number(r.at(-1)?.payload);
    await waitUntil(() => inB.length > 0 && inPlatform.length > 0, 3000, '$SYS figures');
    await waitUntil(() => latest(inB) === 1, 3000, 'tenant B counts its one client');
    await waitUntil(() => latest(inPlatform) >= 3, 3000, 'the platform counts every tenant');
  });
});
