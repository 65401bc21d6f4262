import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { IPublishPacket } from 'mqtt-packet';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { adminClient, connect, createDevice, end } from '../helpers/mqtt.js';
import { collect, createApiKey, keyOpts, RawClient, sleep, waitUntil } from '../helpers/mqtt-extra.js';

describe('MQTT QoS 0, 1, 2', () => {
  let app: TestApp;
  let key: string;
  before(async () => {
    app = await startTestApp();
    key = (await createApiKey(await adminClient(app), 'operator')).key;
  });
  after(() => app.stop());

  const prog = (clientId: string, protocolVersion: 4 | 5 = 5) =>
    connect(app, undefined, { ...keyOpts(key, 'default', clientId), protocolVersion });
  const raw = (clientId: string, version: 4 | 5, extra: Record<string, unknown> = {}) =>
    RawClient.login(app.mqttPort, version, { clientId, username: 'apikey', password: key, ...extra });

  test('QoS 0, 1 and 2 end to end, from a device to a program (v5 and v3.1.1)', async () => {
    const api = await adminClient(app);
    const dev = await createDevice(api, { id: 'q-dev' });
    for (const protocolVersion of [5, 4] as const) {
      const sub = await prog(`q-e2e-${protocolVersion}`, protocolVersion);
      const got = collect(sub);
      await sub.subscribeAsync('devices/q-dev/#', { qos: 2 });
      const pub = await connect(app, dev, { protocolVersion });
      for (const qos of [0, 1, 2] as const) {
        await pub.publishAsync(`devices/q-dev/telemetry`, `{"qos":${qos}}`, { qos });
      }
      await waitUntil(() => got.length === 3, 2000, 'three messages');
      assert.deepEqual(
        got.map((m) => [m.payload, m.packet.qos]),
        [
          ['{"qos":0}', 0],
          ['{"qos":1}', 1],
          ['{"qos":2}', 2],
        ],
      );
      await end(pub);
      await end(sub);
    }
  });

  test('delivery QoS is the lower of the publish and the subscription QoS', async () => {
    for (const protocolVersion of [5, 4] as const) {
      const subs = await Promise.all(
        [0, 1, 2].map((q) => prog(`q-down-${q}-${protocolVersion}`, protocolVersion)),
      );
      const got = subs.map((s) => collect(s));
      await Promise.all(subs.map((s, q) => s.subscribeAsync('down/t', { qos: q as 0 | 1 | 2 })));
      const pub = await prog(`q-down-pub-${protocolVersion}`, protocolVersion);
      await pub.publishAsync('down/t', 'two', { qos: 2 });
      await pub.publishAsync('down/t', 'one', { qos: 1 });
      await waitUntil(() => got.every((g) => g.length === 2), 2000, 'two messages each');
      assert.deepEqual(
        got.map((g) => g.map((m) => m.packet.qos)),
        [
          [0, 0],
          [1, 1],
          [2, 1],
        ],
      );
      await Promise.all([...subs, pub].map(end));
    }
  });

  test('overlapping subscriptions deliver once, at the highest QoS, with every subscription id (v5)', async () => {
    const { client: sub } = await raw('q-overlap', 5);
    assert.deepEqual(await sub.subscribe('ov/#', 0, { id: 1 }), [0]);
    assert.deepEqual(await sub.subscribe('ov/+/x', 2, { id: 2 }), [2]);
    const pub = await prog('q-overlap-pub');
    await pub.publishAsync('ov/a/x', 'm', { qos: 2 });
    const p = await sub.next<IPublishPacket>('publish');
    assert.equal(p.qos, 2);
    const ids = p.properties?.subscriptionIdentifier;
    assert.deepEqual([ids].flat().sort(), [1, 2]);
    await sleep(150);
    assert.equal(sub.publishes().length, 1, 'delivered once');
    sub.destroy();
    await end(pub);
  });

  test('overlapping subscriptions deliver once at the highest QoS (v3.1.1)', async () => {
    const sub = await prog('q-overlap-3', 4);
    const got = collect(sub);
    await sub.subscribeAsync({ 'ov3/#': { qos: 1 }, 'ov3/+': { qos: 0 }, 'ov3/a': { qos: 2 } });
    const pub = await prog('q-overlap-3-pub', 4);
    await pub.publishAsync('ov3/a', 'm', { qos: 2 });
    await waitUntil(() => got.length === 1);
    await sleep(150);
    assert.equal(got.length, 1);
    assert.equal(got[0]?.packet.qos, 2);
    await end(sub);
    await end(pub);
  });

  test('QoS 2 exactly once: a duplicate PUBLISH before PUBREL is acknowledged but not routed again', async () => {
    for (const version of [5, 4] as const) {
      const sub = await prog(`q-eo-sub-${version}`, version);
      const got = collect(sub);
      await sub.subscribeAsync('eo/t', { qos: 2 });
      const { client: pub } = await raw(`q-eo-pub-${version}`, version);
      const publish = {
        cmd: 'publish',
        topic: 'eo/t',
        payload: Buffer.from('once'),
        qos: 2,
        messageId: 10,
      } as const;
      pub.send({ ...publish, dup: false, retain: false });
      await pub.next((p) => p.cmd === 'pubrec' && p.messageId === 10);
      pub.send({ ...publish, dup: true, retain: false });
      await pub.next((p) => p.cmd === 'pubrec' && p.messageId === 10);
      pub.send({ cmd: 'pubrel', messageId: 10 });
      await pub.next((p) => p.cmd === 'pubcomp' && p.messageId === 10);
      // The id is free again: a new message with it is a new message.
      pub.send({ ...publish, payload: Buffer.from('again'), dup: false, retain: false });
      await pub.next('pubrec');
      pub.send({ cmd: 'pubrel', messageId: 10 });
      await pub.next('pubcomp');
      await waitUntil(() => got.length >= 2);
      await sleep(100);
      assert.deepEqual(
        got.map((m) => m.payload),
        ['once', 'again'],
      );
      pub.destroy();
      await end(sub);
    }
  });

  test('QoS 2 exactly once across a reconnect: a resent PUBLISH of a stored session is not routed again', async () => {
    const sub = await prog('q-eo2-sub');
    const got = collect(sub);
    await sub.subscribeAsync('eo2/t', { qos: 2 });
    const fields = { clean: false, properties: { sessionExpiryInterval: 60 } };
    const first = await raw('q-eo2-pub', 5, fields);
    first.client.publish('eo2/t', 'once', { qos: 2, messageId: 20 });
    await first.client.next('pubrec');
    first.client.destroy(); // PUBREC lost on the way, as far as the client knows
    await sleep(50);
    const second = await raw('q-eo2-pub', 5, fields);
    assert.equal(second.connack.sessionPresent, true);
    second.client.publish('eo2/t', 'once', { qos: 2, messageId: 20, dup: true });
    await second.client.next('pubrec');
    second.client.send({ cmd: 'pubrel', messageId: 20 });
    const comp = await second.client.next('pubcomp');
    assert.equal((comp as { reasonCode?: number }).reasonCode ?? 0, 0);
    await sleep(100);
    assert.deepEqual(
      got.map((m) => m.payload),
      ['once'],
    );
    second.client.destroy();
    await end(sub);
  });

  for (const version of [5, 4] as const) {
    test(`unacknowledged QoS 1 and 2 messages are sent again with DUP after reconnect (v${version})`, async () => {
      const id = `q-dup-${version}`;
      const persistent =
        version === 5 ? { clean: false, properties: { sessionExpiryInterval: 60 } } : { clean: false };
      const first = await raw(id, version, persistent);
      await first.client.subscribe('dup/#', 2);
      const pub = await prog(`q-dup-pub-${version}`);
      await pub.publishAsync('dup/one', 'q1', { qos: 1 });
      await pub.publishAsync('dup/two', 'q2', { qos: 2 });
      await pub.publishAsync('dup/three', 'q2-released', { qos: 2 });
      const p1 = await first.client.next<IPublishPacket>((p) => p.cmd === 'publish' && p.topic === 'dup/one');
      const p2 = await first.client.next<IPublishPacket>((p) => p.cmd === 'publish' && p.topic === 'dup/two');
      const p3 = await first.client.next<IPublishPacket>(
        (p) => p.cmd === 'publish' && p.topic === 'dup/three',
      );
      assert.equal(p1.dup, false);
      // Acknowledge only the first half of the third's QoS 2 flow: PUBREC, not PUBCOMP.
      first.client.send({ cmd: 'pubrec', messageId: p3.messageId as number });
      await first.client.next((p) => p.cmd === 'pubrel' && p.messageId === p3.messageId);
      first.client.destroy();
      await sleep(50);

      const second = await raw(id, version, persistent);
      assert.equal(second.connack.sessionPresent, true);
      const r1 = await second.client.next<IPublishPacket>(
        (p) => p.cmd === 'publish' && p.topic === 'dup/one',
      );
      const r2 = await second.client.next<IPublishPacket>(
        (p) => p.cmd === 'publish' && p.topic === 'dup/two',
      );
      const rel = await second.client.next((p) => p.cmd === 'pubrel');
      assert.deepEqual([r1.dup, r1.qos, r1.messageId, r1.payload.toString()], [true, 1, p1.messageId, 'q1']);
      assert.deepEqual([r2.dup, r2.qos, r2.messageId, r2.payload.toString()], [true, 2, p2.messageId, 'q2']);
      assert.equal(rel.messageId, p3.messageId, 'PUBREL is sent again, not the PUBLISH');
      assert.equal(second.client.publishes().length, 2);
      second.client.send({ cmd: 'puback', messageId: r1.messageId as number });
      second.client.send({ cmd: 'pubrec', messageId: r2.messageId as number });
      await second.client.next((p) => p.cmd === 'pubrel' && p.messageId === r2.messageId);
      second.client.send({ cmd: 'pubcomp', messageId: r2.messageId as number });
      second.client.send({ cmd: 'pubcomp', messageId: p3.messageId as number });
      await sleep(50);
      second.client.destroy();
      await sleep(50);

      // Everything was acknowledged: nothing comes again.
      const third = await raw(id, version, persistent);
      assert.equal(third.connack.sessionPresent, true);
      await sleep(150);
      assert.deepEqual(
        third.client.all.filter((p) => p.cmd !== 'connack').map((p) => p.cmd),
        [],
      );
      third.client.destroy();
      await end(pub);
    });
  }
});
