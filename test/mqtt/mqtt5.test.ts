import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { IClientOptions } from 'mqtt';
import type { IPubackPacket, IPublishPacket, ISubackPacket, Packet } from 'mqtt-packet';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient, connect, createDevice, end } from '../helpers/mqtt.js';
import {
  type ConnectFields,
  collect,
  createApiKey,
  keyOpts,
  RawClient,
  sleep,
  waitUntil,
} from '../helpers/mqtt-extra.js';

const MAX_PACKET = 2048;

describe('MQTT 5 features', () => {
  let app: TestApp;
  let api: Client;
  let key: string;
  before(async () => {
    app = await startTestApp({ env: { PLEXUS_MQTT_MAX_PACKET_SIZE: String(MAX_PACKET) } });
    api = await adminClient(app);
    key = (await createApiKey(api, 'operator')).key;
  });
  after(() => app.stop());

  let n = 0;
  const prog = (opts: IClientOptions = {}) =>
    connect(app, undefined, { ...keyOpts(key, 'default', `m5-${++n}`), ...opts });
  const raw = async (fields: ConnectFields = {}) =>
    (
      await RawClient.login(app.mqttPort, 5, {
        clientId: `m5-raw-${++n}`,
        username: 'apikey',
        password: key,
        ...fields,
      })
    ).client;

  test('topic aliases from the client are resolved; bad ones end the connection', async () => {
    const sub = await prog();
    const got = collect(sub);
    await sub.subscribeAsync('al/#', { qos: 0 });
    const c = await raw();
    c.publish('al/x', 'a', { properties: { topicAlias: 3 } });
    c.publish('', 'b', { properties: { topicAlias: 3 } });
    c.publish('al/y', 'c', { properties: { topicAlias: 3 } }); // re-mapped
    c.publish('', 'd', { properties: { topicAlias: 3 } });
    await waitUntil(() => got.length === 4);
    assert.deepEqual(
      got.map((m) => `${m.topic}:${m.payload}`),
      ['al/x:a', 'al/x:b', 'al/y:c', 'al/y:d'],
    );
    c.destroy();
    for (const [topic, alias, rc] of [
      ['al/z', 0, 0x94],
      ['al/z', 65, 0x94],
      ['', 9, 0x82],
    ] as const) {
      const bad = await raw();
      bad.publish(topic, 'x', { properties: { topicAlias: alias } });
      await bad.waitClosed(1500);
      assert.equal(bad.disconnectPacket()?.reasonCode, rc, `alias ${alias}`);
    }
    await end(sub);
  });

  test('the server uses topic aliases towards a client only up to its Topic Alias Maximum', async () => {
    const c = await raw({ properties: { topicAliasMaximum: 2 } });
    const plain = await raw();
    await c.subscribe('sa/#', 0);
    await plain.subscribe('sa/#', 0);
    const p = await prog();
    for (const t of ['sa/1', 'sa/1', 'sa/2', 'sa/3', 'sa/3', 'sa/2']) await p.publishAsync(t, t, { qos: 0 });
    await waitUntil(() => c.publishes().length === 6 && plain.publishes().length === 6);
    assert.deepEqual(
      c.publishes().map((m) => [m.topic, m.properties?.topicAlias, m.payload.toString()]),
      [
        ['sa/1', 1, 'sa/1'],
        ['', 1, 'sa/1'],
        ['sa/2', 2, 'sa/2'],
        ['sa/3', undefined, 'sa/3'],
        ['sa/3', undefined, 'sa/3'],
        ['', 2, 'sa/2'],
      ],
    );
    assert.ok(plain.publishes().every((m) => m.properties?.topicAlias === undefined && m.topic !== ''));
    // MQTT.js with a Topic Alias Maximum sees the right topics.
    const js = await prog({ properties: { topicAliasMaximum: 5 } });
    const got = collect(js);
    await js.subscribeAsync('sa/#', { qos: 0 });
    for (const t of ['sa/1', 'sa/1', 'sa/2']) await p.publishAsync(t, t, { qos: 0 });
    await waitUntil(() => got.length === 3);
    assert.deepEqual(
      got.map((m) => m.topic),
      ['sa/1', 'sa/1', 'sa/2'],
    );
    c.destroy();
    plain.destroy();
    await Promise.all([p, js].map(end));
  });

  test('subscription identifiers come back on matching messages, retained ones included', async () => {
    const p = await prog();
    await p.publishAsync('sid/r', 'kept', { qos: 0, retain: true });
    const c = await raw();
    await c.subscribe('sid/#', 1, { id: 42 });
    await c.subscribe('other/#', 1);
    const retained = await c.next<IPublishPacket>('publish');
    assert.deepEqual([retained.topic, retained.properties?.subscriptionIdentifier], ['sid/r', 42]);
    await p.publishAsync('sid/a', 'x', { qos: 0 });
    await p.publishAsync('other/a', 'y', { qos: 0 });
    const a = await c.next<IPublishPacket>('publish');
    const b = await c.next<IPublishPacket>('publish');
    assert.equal(a.properties?.subscriptionIdentifier, 42);
    assert.equal(b.properties?.subscriptionIdentifier, undefined);
    await c.subscribe('sid/#', 1, { id: 43, rh: 2 }); // replaces the subscription and its id
    await p.publishAsync('sid/a', 'z', { qos: 0 });
    const z = await c.next<IPublishPacket>('publish');
    assert.equal(z.properties?.subscriptionIdentifier, 43);
    c.destroy();
    await end(p);
  });

  test('no local: a client does not get its own messages on a No Local subscription', async () => {
    const c = await prog();
    const other = await prog();
    const mine = collect(c);
    const theirs = collect(other);
    await c.subscribeAsync({ 'nl/a': { qos: 1, nl: true }, 'nl/b': { qos: 1, nl: false } });
    await other.subscribeAsync('nl/#', { qos: 1 });
    await c.publishAsync('nl/a', '1', { qos: 1 });
    await c.publishAsync('nl/b', '2', { qos: 1 });
    await other.publishAsync('nl/a', '3', { qos: 1 });
    await waitUntil(() => theirs.length === 3 && mine.length === 2);
    await sleep(50);
    assert.deepEqual(mine.map((m) => `${m.topic}:${m.payload}`).sort(), ['nl/a:3', 'nl/b:2']);
    await Promise.all([c, other].map(end));
  });

  test('shared subscriptions split messages between members, each delivered once', async () => {
    const a = await prog();
    const b = await prog({ protocolVersion: 4 });
    const plain = await prog();
    const [ga, gb, gp] = [collect(a), collect(b), collect(plain)];
    const p = await prog();
    await p.publishAsync('sh/retained', 'r', { qos: 1, retain: true });
    await a.subscribeAsync('$share/g/sh/#', { qos: 1 });
    await b.subscribeAsync('$share/g/sh/#', { qos: 1 });
    await plain.subscribeAsync('sh/#', { qos: 1, rh: 2 });
    await sleep(50);
    assert.equal(ga.length + gb.length, 0, 'no retained messages on shared subscriptions');
    for (let i = 0; i < 20; i++) await p.publishAsync('sh/t', String(i), { qos: 1 });
    await waitUntil(() => ga.length + gb.length >= 20 && gp.length === 20);
    await sleep(100);
    const all = [...ga, ...gb].map((m) => Number(m.payload)).sort((x, y) => x - y);
    assert.deepEqual(all, [...Array(20).keys()], 'every message exactly once in the group');
    assert.ok(ga.length > 0 && gb.length > 0, `split ${ga.length}/${gb.length}`);
    await Promise.all([a, b, plain, p].map(end));
  });

  test('receive maximum: never more unacknowledged QoS 1 messages in flight than the client allows', async () => {
    const c = await raw({ properties: { receiveMaximum: 2 } });
    await c.subscribe('rm/#', 1);
    const p = await prog();
    for (let i = 0; i < 6; i++) await p.publishAsync('rm/t', String(i), { qos: 1 });
    await sleep(150);
    assert.equal(c.publishes().length, 2);
    const acked = new Set<number>();
    const ack = (m: Packet) => {
      acked.add(m.messageId as number);
      c.send({ cmd: 'puback', messageId: m.messageId as number });
    };
    ack(c.publishes()[0] as Packet);
    await waitUntil(() => c.publishes().length === 3);
    await sleep(100);
    assert.equal(c.publishes().length, 3);
    while (acked.size < 6) {
      for (const m of c.publishes()) if (!acked.has(m.messageId as number)) ack(m);
      await sleep(20);
      const unacked = c.publishes().filter((m) => !acked.has(m.messageId as number)).length;
      assert.ok(unacked <= 2, `${unacked} in flight`);
    }
    assert.deepEqual(
      c.publishes().map((m) => m.payload.toString()),
      ['0', '1', '2', '3', '4', '5'],
    );
    c.destroy();
    await end(p);
  });

  test("maximum packet size: messages over the client's limit are not sent to it", async () => {
    const c = await raw({ properties: { maximumPacketSize: 200 } });
    await c.subscribe('mp/#', 0);
    const p = await prog();
    await p.publishAsync('mp/big', 'x'.repeat(500), { qos: 0 });
    await p.publishAsync('mp/small', 'y', { qos: 0 });
    await c.next('publish');
    await sleep(50);
    assert.deepEqual(
      c.publishes().map((m) => m.topic),
      ['mp/small'],
    );
    c.destroy();
    await end(p);
  });

  test("maximum packet size: a packet over the server's limit ends the connection with 0x95", async () => {
    const { client: c, connack } = await RawClient.login(app.mqttPort, 5, {
      clientId: 'm5-big',
      username: 'apikey',
      password: key,
    });
    assert.equal(connack.properties?.maximumPacketSize, MAX_PACKET);
    c.publish('mp/over', 'z'.repeat(MAX_PACKET + 10));
    await c.waitClosed(1500);
    assert.equal(c.disconnectPacket()?.reasonCode, 0x95);
    const still = await prog();
    assert.ok(still.connected, 'the broker carries on');
    await end(still);
  });

  test('message expiry: a queued message expires while its subscriber is away', async () => {
    const fields: ConnectFields = {
      clientId: 'm5-exp',
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    };
    const first = await raw(fields);
    await first.subscribe('me/#', 1);
    first.send({ cmd: 'disconnect' });
    await first.waitClosed();
    const p = await prog();
    await p.publishAsync('me/short', 's', { qos: 1, properties: { messageExpiryInterval: 1 } });
    await p.publishAsync('me/long', 'l', { qos: 1, properties: { messageExpiryInterval: 60 } });
    await p.publishAsync('me/none', 'n', { qos: 1 });
    await p.publishAsync('mer/short', 's', {
      qos: 1,
      retain: true,
      properties: { messageExpiryInterval: 1 },
    });
    await p.publishAsync('mer/long', 'l', {
      qos: 1,
      retain: true,
      properties: { messageExpiryInterval: 60 },
    });
    await sleep(1100);
    const back = await raw(fields);
    await waitUntil(() => back.publishes().length === 2);
    await sleep(50);
    const [long, none] = back.publishes();
    assert.deepEqual([long?.topic, none?.topic], ['me/long', 'me/none']);
    const left = long?.properties?.messageExpiryInterval ?? 0;
    assert.ok(left >= 58 && left <= 59, `expiry is counted down: ${left}`);
    assert.equal(none?.properties?.messageExpiryInterval, undefined);
    await back.subscribe('mer/#', 1);
    await back.next((m) => m.cmd === 'publish' && m.topic === 'mer/long');
    await sleep(50);
    assert.ok(
      !back.publishes().some((m) => m.topic === 'mer/short'),
      'an expired retained message is not sent',
    );
    back.destroy();
    await end(p);
  });

  test('application properties travel with the message', async () => {
    const c = await raw();
    await c.subscribe('props/#', 1);
    const p = await prog();
    const properties = {
      userProperties: { a: '1', b: ['x', 'y'] },
      contentType: 'application/json',
      correlationData: Buffer.from([1, 2, 3]),
      responseTopic: 'props/reply',
      payloadFormatIndicator: true,
    };
    await p.publishAsync('props/t', '{"ok":true}', { qos: 1, properties });
    const m = await c.next<IPublishPacket>('publish');
    assert.deepEqual({ ...m.properties, userProperties: { ...m.properties?.userProperties } }, properties);
    c.destroy();
    await end(p);
  });

  test('request/response: a device answers a command on its response topic with the correlation data', async () => {
    const dev = await createDevice(api, { id: 'm5-rr' });
    const device = await connect(app, dev);
    await device.subscribeAsync('devices/m5-rr/commands/+', { qos: 1 });
    device.on('message', (_topic, payload, packet) => {
      const props = packet.properties ?? {};
      void device.publishAsync(props.responseTopic ?? 'nowhere', `{"ok":true,"echo":${payload}}`, {
        qos: 1,
        properties: { correlationData: props.correlationData ?? Buffer.alloc(0) },
      });
    });
    const requester = await prog();
    const replies = collect(requester);
    await requester.subscribeAsync('devices/m5-rr/commands/+/result', { qos: 1 });
    await requester.publishAsync('devices/m5-rr/commands/c1', '{"n":1}', {
      qos: 1,
      properties: {
        responseTopic: 'devices/m5-rr/commands/c1/result',
        correlationData: Buffer.from('req-1'),
      },
    });
    await waitUntil(() => replies.length === 1);
    const r = replies[0];
    assert.equal(r?.topic, 'devices/m5-rr/commands/c1/result');
    assert.equal(r?.payload, '{"ok":true,"echo":{"n":1}}');
    assert.equal(r?.packet.properties?.correlationData?.toString(), 'req-1');
    await Promise.all([device, requester].map(end));
  });

  test('refusals carry reason strings: CONNACK, DISCONNECT, denied PUBACK and SUBACK', async () => {
    const bad = await RawClient.open(app.mqttPort, 5);
    const refused = await bad.connect({ clientId: 'x', username: 'apikey', password: 'wrong' });
    assert.equal(refused.reasonCode, 0x86);
    assert.match(refused.properties?.reasonString ?? '', /\w/);
    const first = await raw({ clientId: 'm5-take' });
    await raw({ clientId: 'm5-take' });
    await first.waitClosed();
    assert.match(first.disconnectPacket()?.properties?.reasonString ?? '', /\w/, 'takeover DISCONNECT');
    const viewer = (await createApiKey(api, 'viewer')).key;
    const v = await raw({ password: viewer });
    v.publish('rs/t', 'x', { qos: 1, messageId: 1 });
    const puback = await v.next<IPubackPacket>('puback');
    assert.equal(puback.reasonCode, 0x87);
    const dev = await createDevice(api, { id: 'm5-reasons' });
    const d = await raw({ clientId: dev.id, username: dev.id, password: dev.secret });
    d.send({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: '#', qos: 0 }] });
    const suback = await d.next<ISubackPacket>('suback');
    assert.deepEqual(suback.granted, [0x87]);
    v.destroy();
    d.destroy();
    const missing = [
      ...(puback.properties?.reasonString ? [] : ['PUBACK 0x87']),
      ...(suback.properties?.reasonString ? [] : ['SUBACK 0x87']),
    ];
    assert.deepEqual(missing, [], 'denials without a reason string');
  });
});
