import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import {
  adminClient,
  connect,
  createDevice,
  end,
  metric,
  nextMessage,
  type TestDevice,
} from '../helpers/mqtt.js';
import {
  closed,
  collect,
  createApiKey,
  deviceOpts,
  keyOpts,
  RawClient,
  run,
  sleep,
  tenantApi,
  waitUntil,
} from '../helpers/mqtt-extra.js';

/** The anonymous listener as a development broker (docs/mqtt-users.md): these rules, $SYS every second. */
const RULES = [
  { permission: 'deny', action: 'both', topic: 'devices/#' },
  { permission: 'allow', action: 'subscribe', topic: '$SYS/#' },
  { permission: 'allow', action: 'both', topic: 'inbox/%c/#' },
  { permission: 'deny', action: 'both', topic: 'inbox/#' },
  { permission: 'allow', action: 'both', topic: '#' },
];

const anon = (app: TestApp, opts: IClientOptions = {}) => connect(app, undefined, opts);

describe('MQTT anonymous listener (mqtt.allowAnonymous)', () => {
  let app: TestApp;
  let api: Client;
  let device: TestDevice;
  const clients: MqttClient[] = [];
  const track = async (c: Promise<MqttClient>) => {
    const client = await c;
    clients.push(client);
    return client;
  };

  before(async () => {
    app = await startTestApp({
      env: {
        PLEXUS_MQTT_ALLOW_ANONYMOUS: 'true',
        PLEXUS_MQTT_ANONYMOUS_RULES: JSON.stringify(RULES),
        PLEXUS_MQTT_SYS_INTERVAL: '1',
      },
    });
    api = await adminClient(app);
    device = await createDevice(api, { id: 'press-1' });
  });
  after(async () => {
    for (const c of clients) c.end(true);
    await app.stop();
  });

  test('MQTT.js 5 and 3.1.1 clients without credentials: QoS 0/1/2, overlapping subscriptions once at the highest QoS', async () => {
    const sub = await track(anon(app, { clientId: 'sub-1' }));
    const got = collect(sub);
    await sub.subscribeAsync({ 'plant/#': { qos: 0 }, 'plant/+/temp': { qos: 2 } });
    const pub = await track(anon(app, { protocolVersion: 4, clientId: 'pub-1' }));
    for (const qos of [0, 1, 2] as const) await pub.publishAsync('plant/l1/temp', `q${qos}`, { qos });
    await waitUntil(() => got.length >= 3, 3000, 'three messages');
    await sleep(100);
    assert.deepEqual(
      got.map((m) => [m.payload, m.packet.qos]),
      [
        ['q0', 0],
        ['q1', 1],
        ['q2', 2],
      ],
      'each message once, with the QoS of the best matching subscription (capped by the publish)',
    );
  });

  test('retained messages and wills', async () => {
    const pub = await track(anon(app, { clientId: 'ret-pub' }));
    await pub.publishAsync('bench/state', 'ready', { qos: 1, retain: true });
    const dying = await track(
      anon(app, {
        clientId: 'dying',
        will: { topic: 'bench/will', payload: Buffer.from('gone'), qos: 1, retain: false },
      }),
    );
    const sub = await track(anon(app, { clientId: 'ret-sub' }));
    const first = nextMessage(sub);
    await sub.subscribeAsync('bench/state', { qos: 1 });
    const retained = await first;
    assert.equal(retained.payload.toString(), 'ready');
    assert.equal(retained.packet.retain, true);
    await sub.subscribeAsync('bench/will', { qos: 1 });
    const will = nextMessage(sub);
    dying.stream.destroy(); // abnormal end: the will goes out
    assert.equal((await will).payload.toString(), 'gone');
  });

  test('offline queueing and redelivery: a persistent session gets what it missed', async () => {
    const opts = { clientId: 'queue-1', clean: false, properties: { sessionExpiryInterval: 300 } };
    const first = await anon(app, opts);
    await first.subscribeAsync('queue/#', { qos: 1 });
    await end(first);
    const pub = await track(anon(app, { clientId: 'queue-pub' }));
    for (let i = 0; i < 5; i++) await pub.publishAsync(`queue/${i}`, String(i), { qos: 1 });
    // Listen before connecting: the queue comes right behind CONNACK.
    const again = mqtt.connect(`mqtt://127.0.0.1:${app.mqttPort}`, {
      ...opts,
      protocolVersion: 5,
      reconnectPeriod: 0,
    });
    clients.push(again);
    const back = collect(again);
    await waitUntil(() => back.length === 5, 3000, 'queued messages');
    assert.deepEqual(
      back.map((m) => m.payload),
      ['0', '1', '2', '3', '4'],
    );
  });

  test('shared subscriptions, topic aliases and keep-alive', async () => {
    const a = await track(anon(app, { clientId: 'worker-a' }));
    const b = await track(anon(app, { clientId: 'worker-b' }));
    const got = [collect(a), collect(b)];
    await a.subscribeAsync('$share/workers/jobs/#', { qos: 1 });
    await b.subscribeAsync('$share/workers/jobs/#', { qos: 1 });
    const pub = await track(anon(app, { clientId: 'jobs-pub', keepalive: 1 }));
    for (let i = 0; i < 10; i++)
      await pub.publishAsync('jobs/x', String(i), { qos: 1, properties: { topicAlias: 1 } });
    await waitUntil(() => got[0]!.length + got[1]!.length === 10, 3000, 'ten jobs');
    assert.ok(got[0]!.length > 0 && got[1]!.length > 0, 'both members got work');
    assert.ok(
      got.flat().every((m) => m.topic === 'jobs/x'),
      'aliases resolved to the topic',
    );
    await sleep(2000); // two keep-alive periods: PINGREQ/PINGRESP keep it open
    assert.equal(pub.connected, true);
  });

  test('flow control (Receive Maximum) and redelivery of unacknowledged messages with DUP after a reconnect', async () => {
    const fields = {
      clientId: 'slow-reader',
      clean: false,
      properties: { sessionExpiryInterval: 300, receiveMaximum: 2 },
    };
    const first = await RawClient.login(app.mqttPort, 5, fields);
    assert.deepEqual(await first.client.subscribe('flow/#', 1), [1]);
    const pub = await track(anon(app, { clientId: 'flow-pub' }));
    for (let i = 0; i < 5; i++) await pub.publishAsync(`flow/${i}`, String(i), { qos: 1 });
    await waitUntil(() => first.client.publishes().length === 2, 2000, 'two in flight');
    await sleep(200);
    assert.equal(first.client.publishes().length, 2, 'no more than Receive Maximum unacknowledged');
    const [p0] = first.client.publishes();
    first.client.send({ cmd: 'puback', messageId: p0?.messageId as number });
    await waitUntil(() => first.client.publishes().length === 3, 2000, 'a third after one PUBACK');
    first.client.destroy(); // two left unacknowledged
    const again = await RawClient.open(app.mqttPort, 5);
    const connack = await again.connect(fields);
    assert.equal(connack.sessionPresent, true);
    await waitUntil(() => again.publishes().length >= 2, 2000, 'redelivery');
    const redelivered = again.publishes().slice(0, 2);
    assert.ok(
      redelivered.every((p) => p.dup),
      'resent with DUP',
    );
    assert.deepEqual(
      redelivered.map((p) => p.payload.toString()),
      ['1', '2'],
    );
    again.destroy();
  });

  test('mosquitto_pub and mosquitto_sub work without credentials (3.1.1 and 5)', async () => {
    const port = String(app.mqttPort);
    for (const version of ['mqttv311', 'mqttv5']) {
      const sub = run(
        'mosquitto_sub',
        ['-h', '127.0.0.1', '-p', port, '-V', version, '-t', `cli/${version}`, '-C', '1', '-q', '1', '-d'],
        { readyText: 'SUBACK', timeoutMs: 5000 },
      );
      await sub.ready;
      const pub = await run('mosquitto_pub', [
        '-h',
        '127.0.0.1',
        '-p',
        port,
        '-V',
        version,
        '-t',
        `cli/${version}`,
        '-m',
        'hi',
        '-q',
        '1',
      ]).done;
      assert.equal(pub.code, 0, pub.stderr);
      const out = await sub.done;
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, /^hi$/m);
    }
  });

  test('zero-length client ids: assigned (5), accepted with a clean session (3.1.1), refused without one', async () => {
    const v5 = await RawClient.open(app.mqttPort, 5);
    const c5 = await v5.connect({ clientId: '' });
    assert.equal(c5.reasonCode, 0);
    assert.match(String(c5.properties?.assignedClientIdentifier), /^auto-[0-9a-f]{16}$/);
    v5.destroy();
    const v3 = await RawClient.open(app.mqttPort, 4);
    assert.equal((await v3.connect({ clientId: '', clean: true })).returnCode, 0);
    v3.destroy();
    const v3p = await RawClient.open(app.mqttPort, 4);
    // CONNECT 3.1.1, clean session 0, keep-alive 60, empty client id (mqtt-packet will not encode it).
    v3p.socket.write(Buffer.from([0x10, 12, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0, 0, 60, 0, 0]));
    assert.equal(((await v3p.next('connack')) as { returnCode?: number }).returnCode, 2); // [MQTT-3.1.3-8]
    await v3p.waitClosed();
  });

  test('the devices/ tree stays out of reach: refused filters, filtered deliveries, no publishing, no takeover', async () => {
    const v5 = await RawClient.login(app.mqttPort, 5, { clientId: 'peek-5' });
    assert.deepEqual(await v5.client.subscribe('devices/#', 1), [0x87]);
    assert.deepEqual(await v5.client.subscribe('#', 1), [1], 'everything else is allowed');
    const v3 = await RawClient.login(app.mqttPort, 4, { clientId: 'peek-3' });
    assert.deepEqual(await v3.client.subscribe('devices/+/telemetry', 1), [0x80]);
    v5.client.publish(`devices/${device.id}/telemetry`, '{"temp":1}', { qos: 1, messageId: 7 });
    const ack = (await v5.client.next('puback')) as { reasonCode?: number };
    assert.equal(ack.reasonCode, 0x87);
    const dev = await track(connect(app, device));
    await dev.publishAsync(`devices/${device.id}/telemetry`, '{"temp":21}', { qos: 1 });
    v5.client.publish('plant/marker', 'm', { qos: 0 });
    await v5.client.next((p) => p.cmd === 'publish' && p.topic === 'plant/marker');
    assert.equal(
      v5.client.publishes().filter((p) => p.topic.startsWith('devices/')).length,
      0,
      "'#' does not bring device data to anonymous clients",
    );
    await sleep(1100); // one $SYS interval: '#' never matches `$` topics [MQTT-4.7.2-1]
    assert.equal(v5.client.publishes().filter((p) => p.topic.startsWith('$')).length, 0);
    // An anonymous client cannot take over a device's session by its id.
    const squat = await RawClient.open(app.mqttPort, 5);
    assert.equal((await squat.connect({ clientId: device.id })).reasonCode, 0x85);
    assert.equal(dev.connected, true);
    v5.client.destroy();
    v3.client.destroy();
  });

  test('%c never becomes a wildcard: hostile client ids reach only their own inbox', async () => {
    const bob = await RawClient.login(app.mqttPort, 5, { clientId: 'bob' });
    assert.deepEqual(await bob.client.subscribe('inbox/bob/#', 1), [1]);
    for (const hostile of ['+', '#', 'a/b', '$SYS']) {
      const evil = await RawClient.login(app.mqttPort, 5, { clientId: hostile });
      assert.deepEqual(await evil.client.subscribe('inbox/+/#', 1), [0x87], `client id ${hostile}`);
      assert.deepEqual(await evil.client.subscribe('inbox/#', 1), [0x87], `client id ${hostile}`);
      assert.deepEqual(await evil.client.subscribe('#', 0), [0], `client id ${hostile}`);
      bob.client.publish('inbox/bob/mail', 'for bob', { qos: 0 });
      bob.client.publish('plant/marker2', 'm', { qos: 0 }); // same connection: arrives after the mail
      await evil.client.next((p) => p.cmd === 'publish' && p.topic === 'plant/marker2');
      assert.equal(
        evil.client.publishes().filter((p) => p.topic.startsWith('inbox/')).length,
        0,
        `client id ${hostile} read bob's inbox`,
      );
      evil.client.destroy();
    }
    assert.ok(bob.client.publishes().some((p) => p.topic === 'inbox/bob/mail'));
    bob.client.destroy();
  });

  test('$SYS: per-tenant figures in Mosquitto names, read-only', async () => {
    const sub = await track(anon(app, { clientId: 'sys-reader' }));
    const got = collect(sub);
    await sub.subscribeAsync('$SYS/broker/#', { qos: 0 });
    await waitUntil(() => got.some((m) => m.topic === '$SYS/broker/clients/connected'), 3000, '$SYS figures');
    const value = (t: string) => got.findLast((m) => m.topic === t)?.payload;
    assert.match(String(value('$SYS/broker/version')), /^plexus \d+\.\d+\.\d+/);
    assert.match(String(value('$SYS/broker/uptime')), /^\d+ seconds$/);
    assert.ok(Number(value('$SYS/broker/clients/connected')) >= 2);
    await waitUntil(() => value('$SYS/broker/messages/received') !== undefined, 3000, 'message counts');
    assert.ok(Number(value('$SYS/broker/messages/received')) > 10);
    assert.ok(value('$SYS/broker/load/messages/received/1min') !== undefined);
    // Another tenant sees its own figures only.
    const other = await tenantApi(app, api, 'sys-other');
    const key = await createApiKey(other, 'operator');
    const b = await track(connect(app, undefined, keyOpts(key.key, 'sys-other', 'b-reader')));
    const gotB = collect(b);
    await b.subscribeAsync('$SYS/broker/clients/connected', { qos: 0 });
    await waitUntil(() => gotB.length > 0, 3000, "tenant B's figure");
    assert.equal(gotB.at(-1)?.payload, '1', 'only its own client');
    // Nobody publishes to $SYS.
    await assert.rejects(sub.publishAsync('$SYS/broker/uptime', 'forged', { qos: 1 }), { code: 0x87 });
  });

  test('devices and API keys keep working beside anonymous clients', async () => {
    const dev = await track(connect(app, undefined, { ...deviceOpts(device), clientId: device.id }));
    await dev.publishAsync(`devices/${device.id}/telemetry`, '{"temp":3}', { qos: 1 });
    const c = await track(anon(app, { clientId: 'after' }));
    assert.equal(c.connected, true);
    await end(dev);
    await closed(dev).catch(() => undefined);
  });
});

describe('MQTT anonymous access off (the default)', () => {
  let app: TestApp;
  let api: Client;
  before(async () => {
    app = await startTestApp({ env: { PLEXUS_MQTT_MAX_AUTH_FAILURES: '3' } });
    api = await adminClient(app);
  });
  after(() => app.stop());

  test('a client without credentials gets Not Authorized (0x87 / 5), counted and slowed down', async () => {
    const before = await metric(api, 'plexus_mqtt_auth_failures_total');
    const v5 = await RawClient.open(app.mqttPort, 5);
    const c5 = await v5.connect({ clientId: 'anon-5' });
    assert.equal(c5.reasonCode, 0x87);
    assert.match(String(c5.properties?.reasonString), /anonymous clients are not allowed/);
    await v5.waitClosed();
    const v3 = await RawClient.open(app.mqttPort, 4);
    assert.equal((await v3.connect({ clientId: 'anon-3' })).returnCode, 5);
    await v3.waitClosed();
    assert.equal(await metric(api, 'plexus_mqtt_auth_failures_total'), before + 2);
    const third = await RawClient.open(app.mqttPort, 5);
    assert.equal((await third.connect({ clientId: 'anon-x' })).reasonCode, 0x87);
    const held = await RawClient.open(app.mqttPort, 5);
    assert.equal(
      (await held.connect({ clientId: 'anon-y' })).reasonCode,
      0x8a,
      'held back like other failed logins',
    );
  });
});
