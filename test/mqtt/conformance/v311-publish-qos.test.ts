import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { IPublishPacket } from 'mqtt-packet';
import { adminClient, connect, end } from '../../helpers/mqtt.js';
import { collect, createApiKey, keyOpts, waitUntil } from '../../helpers/mqtt-extra.js';
import { frame, publishPacket, str } from '../../helpers/raw-mqtt.js';
import { dropped, startV311, subscribed, type V311 } from './v311-setup.js';

describe('MQTT 3.1.1 conformance: PUBLISH and the QoS flows', () => {
  let s: V311;
  before(async () => {
    s = await startV311();
  });
  after(() => s.app.stop());

  test('[3.1.1 MQTT-3.3.1-4] a PUBLISH with both QoS bits set closes the connection', async () => {
    const c = await s.client('p-qos3');
    c.write(frame(0x36, str('p/qos3'), [0, 1], Buffer.from('x')));
    await dropped(c, 'QoS 3 PUBLISH');
  });

  test('[3.1.1 MQTT-2.3.1-1] a QoS 1 PUBLISH with packet identifier 0 closes the connection', async () => {
    const c = await s.client('p-id0');
    c.write(frame(0x32, str('p/id0'), [0, 0], Buffer.from('x')));
    await dropped(c, 'QoS 1 PUBLISH with id 0');
  });

  test('[3.1.1 MQTT-3.3.2-1] [3.1.1 MQTT-3.3.2-2] [3.1.1 MQTT-4.7.1-1] [3.1.1 MQTT-4.7.3-1] [3.1.1 MQTT-4.7.3-2] [3.1.1 MQTT-1.5.3-1] a topic name with a wildcard, empty, with U+0000 or not UTF-8 closes the connection', async () => {
    const topics: [string, Buffer][] = [
      ['a/+', Buffer.from('a/+')],
      ['a/#', Buffer.from('a/#')],
      ['empty', Buffer.alloc(0)],
      ['U+0000', Buffer.from([0x61, 0x00, 0x62])],
      ['not UTF-8', Buffer.from([0x61, 0xff, 0x62])],
    ];
    for (const [what, topic] of topics) {
      const c = await s.client('p-topic');
      c.write(frame(0x30, str(topic), Buffer.from('x')));
      await dropped(c, `topic ${what}`);
    }
  });

  test('[3.1.1 MQTT-3.3.4-1] [3.1.1 MQTT-2.3.1-6] [3.1.1 MQTT-4.3.2-2] [3.1.1 MQTT-4.3.3-2] QoS 1 is answered by PUBACK, QoS 2 by PUBREC then PUBCOMP, with the same packet identifier; a QoS 2 resent before PUBREL is delivered once', async () => {
    const sub = await s.client('p-flow-sub');
    await subscribed(sub, 'p/flow', 2);
    const c = await s.client('p-flow');
    c.send(publishPacket('p/flow', 'one', { qos: 1, messageId: 7 }));
    assert.equal((await c.next('puback'))?.messageId, 7);
    c.send(publishPacket('p/flow', 'two', { qos: 2, messageId: 8 }));
    assert.equal((await c.next('pubrec'))?.messageId, 8);
    c.send(publishPacket('p/flow', 'two', { qos: 2, messageId: 8, dup: true }));
    assert.equal((await c.next('pubrec'))?.messageId, 8, 'the resent PUBLISH is acknowledged again');
    c.send({ cmd: 'pubrel', messageId: 8 });
    assert.equal((await c.next('pubcomp'))?.messageId, 8);
    // After PUBACK / PUBCOMP the same identifiers carry new messages.
    c.send(publishPacket('p/flow', 'three', { qos: 1, messageId: 7 }));
    assert.equal((await c.next('puback'))?.messageId, 7);
    c.send(publishPacket('p/flow', 'four', { qos: 2, messageId: 8 }));
    assert.equal((await c.next('pubrec'))?.messageId, 8);
    c.send({ cmd: 'pubrel', messageId: 8 });
    assert.equal((await c.next('pubcomp'))?.messageId, 8);
    assert.ok(await sub.until(() => sub.publishes().length >= 4, 2000));
    assert.deepEqual(
      sub.publishes().map((p) => p.payload.toString()),
      ['one', 'two', 'three', 'four'],
    );
    sub.destroy();
    c.destroy();
  });

  test('[3.1.1 MQTT-4.6.0-2] [3.1.1 MQTT-4.6.0-3] PUBACKs and PUBRECs go out in the order of the PUBLISH packets', async () => {
    const c = await s.client('p-ack-order');
    const ids = [11, 3, 27, 5, 19, 2];
    for (const [i, id] of ids.entries()) {
      c.send(publishPacket('p/ack-order', `m${i}`, { qos: i % 2 === 0 ? 1 : 2, messageId: id }));
    }
    assert.ok(await c.until(() => c.received.length > ids.length, 2000));
    assert.deepEqual(
      c.received.slice(1).map((p) => `${p.cmd}:${(p as { messageId?: number }).messageId}`),
      ids.map((id, i) => `${i % 2 === 0 ? 'puback' : 'pubrec'}:${id}`),
    );
    c.destroy();
  });

  test('[3.1.1 MQTT-2.3.1-4] [3.1.1 MQTT-2.3.1-5] [3.1.1 MQTT-4.3.1-1] [3.1.1 MQTT-4.3.2-1] [3.1.1 MQTT-3.3.1-2] [3.1.1 MQTT-3.3.2-3] the server sends QoS 0 without identifier and DUP 0, QoS 1 with distinct unused identifiers and DUP 0, under the matching topic', async () => {
    const sub = await s.client('p-out-sub');
    await subscribed(sub, 'p/out/+', 2);
    const pub = await s.client('p-out-pub');
    for (let i = 0; i < 5; i++)
      pub.send(publishPacket(`p/out/${i}`, `q1-${i}`, { qos: 1, messageId: i + 1 }));
    pub.send(publishPacket('p/out/zero', 'q0'));
    assert.ok(await sub.until(() => sub.publishes().length === 6, 2000));
    const got = sub.publishes();
    const q1 = got.filter((p) => p.qos === 1);
    assert.equal(q1.length, 5);
    const ids = q1.map((p) => p.messageId as number);
    assert.ok(
      ids.every((id) => id > 0),
      `identifiers ${ids}`,
    );
    assert.equal(new Set(ids).size, 5, `identifiers of unacknowledged messages are distinct: ${ids}`);
    assert.ok(got.every((p) => p.dup === false));
    const q0 = got.find((p) => p.qos === 0) as IPublishPacket;
    assert.equal(q0.topic, 'p/out/zero');
    assert.equal(q0.messageId, undefined);
    assert.ok(got.every((p) => /^p\/out\/[^/]+$/.test(p.topic)));
    sub.destroy();
    pub.destroy();
  });

  test('[3.1.1 MQTT-4.3.3-1] the server as QoS 2 sender: PUBLISH with DUP 0, PUBREL with the same identifier after PUBREC, done at PUBCOMP', async () => {
    const sub = await s.client('p-q2-sub');
    await subscribed(sub, 'p/q2', 2);
    const pub = await s.client('p-q2-pub');
    pub.send(publishPacket('p/q2', 'exactly once', { qos: 2, messageId: 1 }));
    const msg = (await sub.next('publish')) as IPublishPacket;
    assert.equal(msg.qos, 2);
    assert.equal(msg.dup, false);
    sub.send({ cmd: 'pubrec', messageId: msg.messageId as number });
    assert.equal((await sub.next('pubrel'))?.messageId, msg.messageId);
    sub.send({ cmd: 'pubcomp', messageId: msg.messageId as number });
    sub.send({ cmd: 'pingreq' });
    assert.ok(await sub.next('pingresp'));
    assert.equal(sub.publishes().length, 1, 'the PUBLISH is not sent again');
    sub.destroy();
    pub.destroy();
  });

  test('[3.1.1 MQTT-4.6.0-4] the server sends PUBRELs in the order the PUBRECs arrived', async () => {
    const sub = await s.client('p-rel-sub');
    await subscribed(sub, 'p/rel', 2);
    const pub = await s.client('p-rel-pub');
    for (let i = 1; i <= 3; i++) pub.send(publishPacket('p/rel', `m${i}`, { qos: 2, messageId: i }));
    assert.ok(await sub.until(() => sub.publishes().length === 3, 2000));
    const ids = sub.publishes().map((p) => p.messageId as number);
    const order = [ids[1], ids[2], ids[0]] as number[];
    for (const id of order) sub.send({ cmd: 'pubrec', messageId: id });
    assert.ok(await sub.until(() => sub.received.filter((p) => p.cmd === 'pubrel').length === 3, 2000));
    assert.deepEqual(
      sub.received.filter((p) => p.cmd === 'pubrel').map((p) => (p as { messageId?: number }).messageId),
      order,
    );
    sub.destroy();
    pub.destroy();
  });

  test('[3.1.1 MQTT-3.3.1-3] the DUP flag of an incoming PUBLISH is not passed on to subscribers', async () => {
    const sub = await s.client('p-dup-sub');
    await subscribed(sub, 'p/dup', 1);
    const pub = await s.client('p-dup-pub');
    pub.send(publishPacket('p/dup', 'resent', { qos: 1, messageId: 3, dup: true }));
    const msg = (await sub.next('publish')) as IPublishPacket;
    assert.equal(msg.dup, false);
    sub.destroy();
    pub.destroy();
  });

  test('[3.1.1 MQTT-3.8.4-6] a message goes out at the lower of its QoS and the granted QoS', async () => {
    const sub = await s.client('p-min-sub');
    await subscribed(sub, 'p/min/one', 1, 1);
    await subscribed(sub, 'p/min/two', 2, 2);
    const pub = await s.client('p-min-pub');
    pub.send(publishPacket('p/min/one', 'a', { qos: 2, messageId: 1 }));
    pub.send(publishPacket('p/min/two', 'b', { qos: 0 }));
    assert.ok(await sub.until(() => sub.publishes().length === 2, 2000));
    assert.deepEqual(
      sub.publishes().map((p) => [p.topic, p.qos]),
      [
        ['p/min/one', 1],
        ['p/min/two', 0],
      ],
    );
    sub.destroy();
    pub.destroy();
  });

  test('[3.1.1 MQTT-3.3.5-1] overlapping subscriptions (MQTT.js): the message arrives at the highest QoS of the matching subscriptions', async () => {
    const sub = await connect(s.app, undefined, {
      ...keyOpts(s.key, 'default', 'p-overlap'),
      protocolVersion: 4,
    });
    const got = collect(sub);
    await sub.subscribeAsync({ 'p/overlap/#': { qos: 0 }, 'p/overlap/+': { qos: 2 } });
    const pub = await connect(s.app, undefined, {
      ...keyOpts(s.key, 'default', 'p-overlap-pub'),
      protocolVersion: 4,
    });
    await pub.publishAsync('p/overlap/x', 'both match', { qos: 2 });
    await waitUntil(() => got.length >= 1, 2000, 'the message');
    assert.ok(
      got.some((m) => m.packet.qos === 2),
      `QoS received: ${got.map((m) => m.packet.qos)}`,
    );
    await end(sub);
    await end(pub);
  });

  test('[3.1.1 MQTT-3.3.5-2] a PUBLISH the client may not make is acknowledged as usual and not delivered', async () => {
    const viewer = (await createApiKey(await adminClient(s.app), 'viewer')).key;
    const sub = await s.client('p-deny-sub');
    await subscribed(sub, 'p/deny', 1);
    const c = await s.open();
    const ack = await c.connect(undefined, {
      clientId: 'p-deny',
      username: 'apikey',
      password: Buffer.from(viewer),
    });
    assert.equal(ack?.returnCode, 0);
    c.send(publishPacket('p/deny', 'not allowed', { qos: 1, messageId: 4 }));
    const answer = await c.next();
    // Either a positive PUBACK or a closed connection is allowed; Plexus acknowledges.
    assert.deepEqual([answer?.cmd, (answer as { messageId?: number } | undefined)?.messageId], ['puback', 4]);
    sub.send({ cmd: 'pingreq' });
    assert.ok(await sub.next('pingresp'));
    assert.deepEqual(sub.publishes(), []);
    c.destroy();
    sub.destroy();
  });

  test('[3.1.1 MQTT-4.5.0-1] [3.1.1 MQTT-4.6.0-5] [3.1.1 MQTT-4.6.0-6] messages reach every matching subscriber in the order they were published (QoS 0, 1 and 2 mixed)', async () => {
    const a = await s.client('p-order-a');
    const b = await s.client('p-order-b');
    await subscribed(a, 'p/order/#', 2);
    await subscribed(b, 'p/order/t', 1);
    const subs = [a, b];
    const pub = await s.client('p-order-pub');
    const n = 30;
    for (let i = 0; i < n; i++) {
      const qos = (i % 3) as 0 | 1 | 2;
      pub.send(publishPacket('p/order/t', `${i}`, qos === 0 ? {} : { qos, messageId: i + 1 }));
    }
    for (const sub of subs) {
      assert.ok(await sub.until(() => sub.publishes().length === n, 3000), 'all messages arrive');
      assert.deepEqual(
        sub.publishes().map((p) => Number(p.payload.toString())),
        Array.from({ length: n }, (_, i) => i),
      );
      sub.destroy();
    }
    pub.destroy();
  });

  test('[3.1.1 MQTT-3.6.1-1] [3.1.1 MQTT-2.2.2-2] a PUBREL or PUBACK with wrong reserved flags closes the connection', async () => {
    for (const [what, bytes] of [
      ['PUBREL flags 0000', [0x60, 2, 0, 1]],
      ['PUBACK flags 0010', [0x42, 2, 0, 1]],
      ['PINGREQ flags 0001', [0xc1, 0]],
    ] as const) {
      const c = await s.client('p-flags');
      c.write(bytes);
      await dropped(c, what);
    }
  });
});
