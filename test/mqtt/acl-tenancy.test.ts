import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import type { IPubackPacket, ISubackPacket } from 'mqtt-packet';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient, connect, createDevice, end, type TestDevice } from '../helpers/mqtt.js';
import {
  closed,
  collect,
  createApiKey,
  deviceOpts,
  keyOpts,
  RawClient,
  sleep,
  tenantApi,
  usernameOf,
  waitUntil,
} from '../helpers/mqtt-extra.js';

describe('MQTT access control and tenant isolation', () => {
  let app: TestApp;
  let api: Client;
  let operator: string;
  before(async () => {
    app = await startTestApp();
    api = await adminClient(app);
    operator = (await createApiKey(api, 'operator')).key;
  });
  after(() => app.stop());

  const rawDevice = async (d: TestDevice, version: 4 | 5 = 5) =>
    (
      await RawClient.login(app.mqttPort, version, {
        clientId: d.id,
        username: usernameOf(d),
        password: d.secret,
      })
    ).client;
  /** QoS 1 publish from a raw client; returns the PUBACK reason code (0 for 3.1.1). */
  let mid = 0;
  async function publish1(c: RawClient, topic: string): Promise<number> {
    const messageId = ++mid;
    c.send({
      cmd: 'publish',
      topic,
      // Valid JSON: the device's own telemetry/events topics decode and store what they carry.
      payload: Buffer.from(JSON.stringify({ type: 'acl-check', topic })),
      qos: 1,
      messageId,
      dup: false,
      retain: false,
    });
    const ack = await c.next<IPubackPacket>((p) => p.cmd === 'puback' && p.messageId === messageId);
    return ack.reasonCode ?? 0;
  }
  async function subscribeAll(c: RawClient, filters: string[]): Promise<number[]> {
    const messageId = ++mid;
    c.send({ cmd: 'subscribe', messageId, subscriptions: filters.map((topic) => ({ topic, qos: 1 })) });
    return (await c.next<ISubackPacket>((p) => p.cmd === 'suback' && p.messageId === messageId))
      .granted as number[];
  }

  const allowedPub = ['telemetry', 'events', 'twin/reported', 'commands/c1/result'];
  const deniedPub = (id: string) => [
    'devices/other/telemetry',
    `devices/${id}/twin/desired`,
    `devices/${id}/commands/c1`,
    'm2m/anything',
    '$SYS/x',
    'telemetry',
  ];

  for (const version of [5, 4] as const) {
    test(`a device publishes only its own device-to-platform topics (v${version})`, async () => {
      const d = await createDevice(api, { id: `acl-pub-${version}` });
      const watcher = await connect(app, undefined, keyOpts(operator));
      const seen = collect(watcher);
      await watcher.subscribeAsync('#', { qos: 1 });
      const c = await rawDevice(d, version);
      for (const t of allowedPub) {
        // Allowed by the ACL; a result for a command the platform never sent is then refused by the
        // command service (0x99 on MQTT 5), which is not the ACL's 0x87.
        const refused = version === 5 && t.startsWith('commands/');
        assert.equal(await publish1(c, `devices/${d.id}/${t}`), refused ? 0x99 : 0, t);
      }
      for (const t of deniedPub(d.id)) {
        // 3.1.1 has no negative PUBACK: the message is acknowledged and dropped.
        assert.equal(await publish1(c, t), version === 5 ? 0x87 : 0, t);
      }
      await sleep(100);
      assert.deepEqual(
        seen.map((m) => m.topic),
        allowedPub.map((t) => `devices/${d.id}/${t}`),
      );
      assert.equal(c.isClosed, false, 'a denied publish does not end the connection');
      c.destroy();
      await end(watcher);
    });

    test(`a device subscribes only under devices/{id}/ (v${version})`, async () => {
      const d = await createDevice(api, { id: `acl-sub-${version}` });
      const p = await connect(app, undefined, keyOpts(operator));
      await p.publishAsync('devices/other/telemetry', 'retained, not yours', { qos: 1, retain: true });
      const c = await rawDevice(d, version);
      const own = [`devices/${d.id}/#`, `devices/${d.id}/commands/+`, `devices/${d.id}/twin/desired`];
      const others = [
        'devices/other/telemetry',
        '#',
        'devices/+/telemetry',
        '$SYS/#',
        '+/+/telemetry',
        'm2m/#',
      ];
      const denied = version === 5 ? 0x87 : 0x80;
      assert.deepEqual(await subscribeAll(c, [...own, ...others]), [
        ...own.map(() => 1),
        ...others.map(() => denied),
      ]);
      await p.publishAsync('devices/other/telemetry', 'not yours', { qos: 1 });
      await p.publishAsync(`devices/${d.id}/commands/c9`, '{"name":"reboot"}', { qos: 1 });
      await waitUntil(() => c.publishes().length >= 1);
      await sleep(80);
      assert.deepEqual(
        c.publishes().map((m) => m.topic),
        [`devices/${d.id}/commands/c9`],
      );
      await p.publishAsync('devices/other/telemetry', '', { qos: 1, retain: true }); // clear it
      c.destroy();
      await end(p);
    });
  }

  test('a will is bound by the ACL: a device or viewer cannot publish through it', async () => {
    const watcher = await connect(app, undefined, keyOpts(operator));
    const seen = collect(watcher);
    await watcher.subscribeAsync('#', { qos: 1 });
    const d = await createDevice(api, { id: 'will-acl' });
    const viewer = (await createApiKey(api, 'viewer')).key;
    const will = (topic: string) => ({ topic, payload: Buffer.from('x'), qos: 1 as const, retain: false });
    const attempts = [
      { ...deviceOpts(d), will: will('devices/victim/commands/c1') },
      { ...keyOpts(viewer), will: will('devices/victim/commands/c2') },
    ];
    for (const opts of attempts) {
      // Refusing the CONNECT (0x87) or dropping the will are both right; publishing it is not.
      const c = await connect(app, undefined, opts).catch(() => undefined);
      c?.stream.destroy();
    }
    await sleep(250);
    assert.deepEqual(
      seen.map((m) => m.topic),
      [],
    );
    await end(watcher);
  });

  test('API keys: viewers only listen, operators publish anywhere in the tenant', async () => {
    const viewer = (await createApiKey(api, 'viewer')).key;
    for (const version of [5, 4] as const) {
      const v = (
        await RawClient.login(app.mqttPort, version, {
          clientId: `v-${version}`,
          username: 'apikey',
          password: viewer,
        })
      ).client;
      assert.deepEqual(await subscribeAll(v, ['#', 'devices/+/telemetry']), [1, 1]);
      assert.equal(await publish1(v, 'devices/x/commands/c1'), version === 5 ? 0x87 : 0);
      const o = (
        await RawClient.login(app.mqttPort, version, {
          clientId: `o-${version}`,
          username: 'apikey',
          password: operator,
        })
      ).client;
      assert.equal(await publish1(o, 'devices/x/commands/c1'), 0);
      assert.equal(await publish1(o, 'anything/at/all'), 0);
      await waitUntil(() => v.publishes().length === 2);
      assert.deepEqual(
        v.publishes().map((m) => m.topic),
        ['devices/x/commands/c1', 'anything/at/all'],
        "the viewer's own publish was dropped",
      );
      v.destroy();
      o.destroy();
    }
  });

  test('m2m topics as the profile grants them', async () => {
    const r = await api.post('/api/v1/profiles', {
      id: 'plc',
      grants: { publish: ['m2m/line1/#'], subscribe: ['m2m/line1/+/status'] },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const a = await rawDevice(await createDevice(api, { id: 'plc-a', profile: 'plc' }));
    const b = await rawDevice(await createDevice(api, { id: 'plc-b', profile: 'plc' }));
    const c = await rawDevice(await createDevice(api, { id: 'plain-c' }));
    assert.deepEqual(
      await subscribeAll(b, ['m2m/line1/+/status', 'm2m/line1/#', 'm2m/#', 'm2m/line2/a/status']),
      [1, 0x87, 0x87, 0x87],
    );
    assert.deepEqual(await subscribeAll(c, ['m2m/line1/+/status']), [0x87]);
    assert.equal(await publish1(a, 'm2m/line1/a/status'), 0);
    assert.equal(await publish1(a, 'm2m/line2/a/status'), 0x87);
    assert.equal(await publish1(c, 'm2m/line1/c/status'), 0x87);
    await waitUntil(() => b.publishes().length === 1);
    await sleep(80);
    assert.deepEqual(
      b.publishes().map((m) => m.topic),
      ['m2m/line1/a/status'],
    );
    for (const x of [a, b, c]) x.destroy();
  });

  test('two tenants with the same device id never see each other', async () => {
    const acmeApi = await tenantApi(app, api, 'acme');
    const home = await createDevice(api, { id: 'press-7' });
    const r = await acmeApi.post<{ id: string; secret: string }>('/api/v1/devices', { id: 'press-7' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const away: TestDevice = { id: 'press-7', secret: r.body.secret, tenant: 'acme' };
    const acmeKey = (await createApiKey(acmeApi, 'operator')).key;

    const [dHome, dAway] = [await connect(app, home), await connect(app, away)];
    const [gotHome, gotAway] = [collect(dHome), collect(dAway)];
    await dHome.subscribeAsync('devices/press-7/commands/+', { qos: 1 });
    await dAway.subscribeAsync('devices/press-7/commands/+', { qos: 1 });
    const kHome = await connect(app, undefined, keyOpts(operator));
    const kAway = await connect(app, undefined, keyOpts(acmeKey, 'acme'));
    const [seenHome, seenAway] = [collect(kHome), collect(kAway)];
    await kHome.subscribeAsync('#', { qos: 1 });
    await kAway.subscribeAsync('#', { qos: 1 });
    await kAway.publishAsync('shared/state', 'acme-retained', { qos: 1, retain: true });

    await dHome.publishAsync('devices/press-7/telemetry', '{"tenant":"default"}', { qos: 1 });
    await dAway.publishAsync('devices/press-7/telemetry', '{"tenant":"acme"}', { qos: 1 });
    await kHome.publishAsync('devices/press-7/commands/c1', 'to-default', { qos: 1 });
    await waitUntil(() => seenAway.length >= 2 && seenHome.length >= 2 && gotHome.length >= 1);
    const late = collect(await connect(app, undefined, keyOpts(operator)));
    await sleep(100);
    assert.ok(dHome.connected && dAway.connected, 'the same client id in two tenants is no takeover');
    assert.deepEqual(
      seenHome.map((m) => m.payload),
      ['{"tenant":"default"}', 'to-default'],
    );
    assert.deepEqual(
      seenAway.map((m) => m.payload),
      ['acme-retained', '{"tenant":"acme"}'],
    );
    assert.deepEqual(
      gotHome.map((m) => m.payload),
      ['to-default'],
    );
    assert.deepEqual(gotAway, []);
    assert.deepEqual(late, [], 'no retained message of another tenant');
    // A secret or key of one tenant does not open the other.
    await assert.rejects(connect(app, { ...away, secret: home.secret }));
    await assert.rejects(connect(app, undefined, keyOpts(operator, 'acme')));
    await Promise.all([dHome, dAway, kHome, kAway].map(end));
  });

  /** Asserts the client is disconnected within a second of `action`, then cannot log in again. */
  async function cutOff(client: MqttClient, action: () => Promise<unknown>, relogin: () => Promise<unknown>) {
    const t0 = Date.now();
    await action();
    await closed(client, 1000);
    assert.ok(Date.now() - t0 < 1000);
    await assert.rejects(relogin());
  }

  test('revoking a credential disconnects its sessions at once; other credentials stay', async () => {
    const d = await createDevice(api, { id: 'rev-cred' });
    const extra = await api.post<{ id: string; secret: string }>(`/api/v1/devices/${d.id}/secrets`, {});
    assert.equal(extra.status, 201);
    const creds = await api.get<{ items: { id: string }[] }>(`/api/v1/devices/${d.id}/credentials`);
    const first = creds.body.items.find((c) => c.id !== extra.body.id)?.id as string;
    const c = await connect(app, d);
    let reason: number | undefined;
    c.once('disconnect', (p) => {
      reason = p.reasonCode;
    });
    assert.equal((await api.del(`/api/v1/devices/${d.id}/credentials/${extra.body.id}`)).status, 204);
    await sleep(200);
    assert.ok(c.connected, 'revoking another credential leaves this session alone');
    await cutOff(
      c,
      () => api.del(`/api/v1/devices/${d.id}/credentials/${first}`),
      () => connect(app, d),
    );
    assert.ok(reason !== undefined && reason >= 0x80, `v5 DISCONNECT with an error reason, got ${reason}`);
  });

  test('disabling or deleting a device disconnects it at once (v5 and v3.1.1)', async () => {
    for (const protocolVersion of [5, 4] as const) {
      const d = await createDevice(api, { id: `rev-dis-${protocolVersion}` });
      const c = await connect(app, d, { protocolVersion });
      await cutOff(
        c,
        () => api.patch(`/api/v1/devices/${d.id}`, { enabled: false }),
        () => connect(app, d, { protocolVersion }),
      );
      const e = await createDevice(api, { id: `rev-del-${protocolVersion}` });
      const ce = await connect(app, e, { ...deviceOpts(e), protocolVersion });
      await cutOff(
        ce,
        () => api.del(`/api/v1/devices/${e.id}`),
        () => connect(app, e, { protocolVersion }),
      );
    }
  });

  test("a deleted device's stored session does not pass to a new device with the same id", async () => {
    const d = await createDevice(api, { id: 'reborn' });
    const persistent = { clean: false, properties: { sessionExpiryInterval: 300 } };
    const c = await connect(app, d, persistent);
    await c.subscribeAsync('devices/reborn/commands/+', { qos: 1 });
    await end(c);
    assert.equal((await api.del('/api/v1/devices/reborn')).status, 204);
    const p = await connect(app, undefined, keyOpts(operator));
    await p.publishAsync('devices/reborn/commands/c1', 'for the old one', { qos: 1 });
    const again = await createDevice(api, { id: 'reborn' });
    const { client, connack } = await RawClient.login(app.mqttPort, 5, {
      clientId: again.id,
      username: again.id,
      password: again.secret,
      clean: false,
      properties: { sessionExpiryInterval: 300 },
    });
    await sleep(100);
    assert.equal(connack.sessionPresent, false);
    assert.deepEqual(client.publishes(), []);
    client.destroy();
    await end(p);
  });

  test('deleting an API key disconnects the programs using it at once', async () => {
    const k = await createApiKey(api, 'operator');
    const c = await connect(app, undefined, keyOpts(k.key));
    await cutOff(
      c,
      () => api.del(`/api/v1/apikeys/${k.id}`),
      () => connect(app, undefined, keyOpts(k.key)),
    );
  });

  test("a program cannot take over a device's session by using its id as client id", async () => {
    const d = await createDevice(api, { id: 'guarded-1' });
    const dev = await connect(app, d);
    const k = await createApiKey(api, 'operator');
    await assert.rejects(
      connect(app, undefined, keyOpts(k.key, 'default', 'guarded-1')),
      /client identifier not valid|0x85|133/i,
    );
    assert.equal(dev.connected, true, 'the device stays connected');
    await end(dev);
  });
});
