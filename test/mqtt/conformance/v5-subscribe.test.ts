/**
 * MQTT 5.0 conformance: SUBSCRIBE, UNSUBSCRIBE, retained messages, topic
 * rules, shared subscriptions, DISCONNECT and WebSocket (spec §3.3.1,
 * §3.8-3.11, §3.14, §4.7, §4.8, §6), over real sockets.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { IDisconnectPacket, ISubackPacket, IUnsubackPacket } from 'mqtt-packet';
import mqttPacket from 'mqtt-packet';
import WebSocket from 'ws';
import { topicMatches } from '../../../src/core/topic.js';
import { TopicTree } from '../../../src/transports/mqtt/topic-tree.js';
import { frame, publishPacket, str } from '../../helpers/raw-mqtt.js';
import {
  expect,
  noMorePublishes,
  publishesOf,
  RC,
  REASON_CODES,
  startV5,
  sub,
  type V5Env,
} from './v5-helpers.js';

describe('MQTT 5.0 conformance: subscriptions, topics, DISCONNECT, WebSocket', () => {
  let env: V5Env;
  before(async () => {
    env = await startV5();
  });
  after(() => env.stop());

  const retain = async (topic: string, payload: string) => {
    const p = await env.login();
    p.send(publishPacket(topic, payload, { qos: 1, messageId: 1, retain: true }));
    await expect(p, 'puback');
    p.destroy();
  };

  test('[5.0 MQTT-3.8.3-1] [5.0 MQTT-3.10.3-1] a topic filter that is not valid UTF-8 makes SUBSCRIBE or UNSUBSCRIBE malformed', async () => {
    const bad = Buffer.from([0x61, 0xed, 0xa0, 0x80]);
    for (const bytes of [frame(0x82, [0, 1, 0], str(bad), [0]), frame(0xa2, [0, 1, 0], str(bad))]) {
      const c = await env.login();
      c.write(bytes);
      assert.deepEqual(await c.dropped(), { closed: true, reasonCode: RC.MALFORMED });
    }
  });

  test('[5.0 MQTT-3.8.3-2] [5.0 MQTT-3.10.3-2] a SUBSCRIBE or UNSUBSCRIBE without topic filters is a protocol error', async () => {
    for (const bytes of [frame(0x82, [0, 1, 0]), frame(0xa2, [0, 1, 0])]) {
      const c = await env.login();
      c.write(bytes);
      const r = await c.dropped();
      assert.ok(r.closed);
      assert.ok([RC.PROTOCOL_ERROR, RC.MALFORMED].includes(r.reasonCode as never), `code ${r.reasonCode}`);
    }
  });

  test('[5.0 MQTT-3.8.3-5] reserved bits in the Subscription Options are malformed', async () => {
    const c = await env.login();
    c.write(frame(0x82, [0, 1, 0], str('opts/x'), [0x40 | 1]));
    assert.deepEqual(await c.dropped(), { closed: true, reasonCode: RC.MALFORMED });
  });

  test('[5.0 MQTT-3.8.3-3] No Local: the publisher does not get its own message back', async () => {
    const c = await env.login();
    await sub(c, [{ topic: 'nl/x', qos: 1, nl: true }]);
    const other = await env.login();
    await sub(other, [{ topic: 'nl/x', qos: 1 }]);
    c.send(publishPacket('nl/x', 'mine', { qos: 1, messageId: 1 }));
    await publishesOf(other, 1);
    assert.ok(await noMorePublishes(c, 0), 'No Local was ignored');
    c.destroy();
    other.destroy();
  });

  test('[5.0 MQTT-3.8.3-4] No Local on a shared subscription is a protocol error', async () => {
    const c = await env.login();
    c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$share/g/nl', qos: 0, nl: true }] });
    assert.deepEqual(await c.dropped(), { closed: true, reasonCode: RC.PROTOCOL_ERROR });
  });

  test('[5.0 MQTT-3.8.4-1] [5.0 MQTT-3.8.4-2] [5.0 MQTT-3.8.4-5] [5.0 MQTT-3.8.4-6] [5.0 MQTT-3.8.4-7] [5.0 MQTT-3.9.3-1] [5.0 MQTT-3.9.3-2] [5.0 MQTT-3.2.2-10] [5.0 MQTT-4.7.1-1] [5.0 MQTT-4.7.1-2] [5.0 MQTT-4.7.3-1] [5.0 MQTT-4.8.2-1] [5.0 MQTT-4.8.2-2] one SUBACK per SUBSCRIBE with one code per filter, in order: the granted QoS or a failure', async () => {
    const c = await env.login();
    const filters = [
      ['s/0', 0],
      ['s/#/x', 0],
      ['s/1', 1],
      ['s/a+', 0],
      ['', 0],
      ['s/2', 2],
      ['$share//s', 0],
      ['$share/g+/s', 0],
      ['$share/g', 0],
      ['$share/g/t/+', 1],
    ] as const;
    const codes = await sub(
      c,
      filters.map(([topic, qos]) => ({ topic, qos })),
      undefined,
      4242,
    );
    assert.deepEqual(codes, [
      0,
      RC.TOPIC_FILTER_INVALID,
      1,
      RC.TOPIC_FILTER_INVALID,
      RC.TOPIC_FILTER_INVALID,
      2,
      RC.TOPIC_FILTER_INVALID,
      RC.TOPIC_FILTER_INVALID,
      RC.TOPIC_FILTER_INVALID,
      1,
    ]);
    assert.ok(codes.every((x) => REASON_CODES.suback.includes(x as never)));
    // The valid ones work as if subscribed one by one.
    const p = await env.login();
    for (const [i, t] of ['s/0', 's/1', 's/2', 't/z'].entries()) {
      p.send(publishPacket(t, t, { qos: 2, messageId: 10 + i }));
    }
    const got = await publishesOf(c, 4);
    assert.deepEqual(got.map((m) => [m.topic, m.qos]).sort(), [
      ['s/0', 0],
      ['s/1', 1],
      ['s/2', 2],
      ['t/z', 1],
    ]);
    c.destroy();
    p.destroy();
  });

  test('[5.0 MQTT-3.8.4-8] [5.0 MQTT-4.8.2-3] a message goes out at the lower of its QoS and the granted QoS, for shared subscribers too', async () => {
    const c = await env.login();
    await sub(c, [
      { topic: 'min/x', qos: 1 },
      { topic: '$share/grp/min/y', qos: 0 },
    ]);
    const p = await env.login();
    p.send(publishPacket('min/x', 'a', { qos: 2, messageId: 1 }));
    p.send(publishPacket('min/y', 'b', { qos: 1, messageId: 2 }));
    const got = await publishesOf(c, 2);
    assert.deepEqual(got.map((m) => [m.topic, m.qos]).sort(), [
      ['min/x', 1],
      ['min/y', 0],
    ]);
    c.destroy();
    p.destroy();
  });

  test('[5.0 MQTT-3.8.4-3] [5.0 MQTT-3.8.4-4] [5.0 MQTT-3.3.1-9] a SUBSCRIBE to an existing filter replaces it (new QoS, one copy) and resends retained messages with Retain Handling 0', async () => {
    await retain('rep/x', 'kept');
    const c = await env.login();
    await sub(c, [{ topic: 'rep/x', qos: 0 }]);
    await publishesOf(c, 1);
    await sub(c, [{ topic: 'rep/x', qos: 1 }]);
    const [, again] = await publishesOf(c, 2);
    assert.equal(again?.payload.toString(), 'kept');
    assert.equal(again?.retain, true);
    const p = await env.login();
    p.send(publishPacket('rep/x', 'live', { qos: 1, messageId: 1 }));
    await publishesOf(c, 3);
    assert.ok(await noMorePublishes(c, 3), 'two subscriptions for one filter');
    assert.equal(c.publishes()[2]?.qos, 1);
    c.destroy();
    p.destroy();
  });

  test('[5.0 MQTT-3.3.1-10] [5.0 MQTT-3.3.1-11] Retain Handling 1 sends retained messages only for a new subscription; 2 never', async () => {
    await retain('rh/x', 'r');
    const one = await env.login();
    await sub(one, [{ topic: 'rh/x', qos: 0, rh: 1 }]);
    await publishesOf(one, 1);
    await sub(one, [{ topic: 'rh/x', qos: 0, rh: 1 }]);
    assert.ok(await noMorePublishes(one, 1), 'Retain Handling 1 resent on an existing subscription');
    const two = await env.login();
    await sub(two, [{ topic: 'rh/x', qos: 0, rh: 2 }]);
    assert.ok(await noMorePublishes(two, 0), 'Retain Handling 2 sent retained messages');
    one.destroy();
    two.destroy();
  });

  test('[5.0 MQTT-3.3.1-12] [5.0 MQTT-3.3.1-13] Retain As Published: 0 forwards with RETAIN 0, 1 keeps the flag as published', async () => {
    const zero = await env.login();
    const keep = await env.login();
    await sub(zero, [{ topic: 'rap/x', qos: 0 }]);
    await sub(keep, [{ topic: 'rap/x', qos: 0, rap: true }]);
    const p = await env.login();
    p.send(publishPacket('rap/x', 'r', { qos: 1, messageId: 1, retain: true }));
    assert.equal((await publishesOf(zero, 1))[0]?.retain, false);
    assert.equal((await publishesOf(keep, 1))[0]?.retain, true);
    zero.destroy();
    keep.destroy();
    p.destroy();
  });

  test('[5.0 MQTT-3.3.1-5] [5.0 MQTT-3.3.1-6] [5.0 MQTT-3.3.1-7] [5.0 MQTT-3.3.1-8] RETAIN 1 replaces the retained message; an empty one deletes it (and is delivered); RETAIN 0 leaves it alone', async () => {
    await retain('ret/x', 'first');
    await retain('ret/x', 'second');
    const p = await env.login();
    p.send(publishPacket('ret/x', 'not retained', { qos: 1, messageId: 1 }));
    await expect(p, 'puback');
    const a = await env.login();
    await sub(a, [{ topic: 'ret/x', qos: 0 }]);
    const [m] = await publishesOf(a, 1);
    assert.equal(m?.payload.toString(), 'second');
    assert.ok(await noMorePublishes(a, 1));
    p.send(publishPacket('ret/x', '', { qos: 1, messageId: 2, retain: true }));
    await expect(p, 'puback');
    const [, empty] = await publishesOf(a, 2);
    assert.equal(empty?.payload.length, 0, 'the empty retained message is delivered to subscribers');
    const b = await env.login();
    await sub(b, [{ topic: 'ret/x', qos: 0 }]);
    assert.ok(await noMorePublishes(b, 0), 'an empty retained message was stored');
    a.destroy();
    b.destroy();
    p.destroy();
  });

  test('[5.0 MQTT-3.3.4-3] [5.0 MQTT-3.3.4-4] [5.0 MQTT-3.3.4-5] Subscription Identifiers of every matching subscription come with the message', async () => {
    const c = await env.login();
    await sub(c, [{ topic: 'sid/+', qos: 1 }], { subscriptionIdentifier: 7 });
    await sub(c, [{ topic: 'sid/#', qos: 1 }], { subscriptionIdentifier: 9 });
    await sub(c, [{ topic: 'sid/x', qos: 1 }]);
    const p = await env.login();
    p.send(publishPacket('sid/x', 'x', { qos: 1, messageId: 1 }));
    await publishesOf(c, 1);
    await c.until(() => false, 200);
    const ids = c
      .publishes()
      .flatMap((m) => [m.properties?.subscriptionIdentifier ?? []].flat())
      .sort();
    assert.deepEqual(ids, [7, 9]);
    c.destroy();
    p.destroy();
  });

  test('[5.0 MQTT-3.10.4-1] [5.0 MQTT-3.10.4-2] [5.0 MQTT-3.10.4-4] [5.0 MQTT-3.10.4-5] [5.0 MQTT-3.10.4-6] [5.0 MQTT-3.11.3-1] [5.0 MQTT-3.11.3-2] [5.0 MQTT-3.11.2-1] [5.0 MQTT-3.11.2-2] UNSUBSCRIBE compares filters character by character, answers each in order (also when nothing matched) and stops new deliveries', async () => {
    const c = await env.login({ properties: { maximumPacketSize: 64 } });
    await sub(c, [
      { topic: 'un/+', qos: 1 },
      { topic: 'un/x', qos: 1 },
    ]);
    c.send({ cmd: 'unsubscribe', messageId: 777, unsubscriptions: ['un/#', 'un/+', 'un/y'] });
    const ack = await expect<IUnsubackPacket>(c, 'unsuback');
    assert.equal(ack.messageId, 777);
    assert.deepEqual(ack.granted, [0x11, 0x00, 0x11]);
    assert.ok((ack.granted as number[]).every((x) => REASON_CODES.unsuback.includes(x as never)));
    assert.equal(ack.properties?.reasonString, undefined);
    assert.equal(ack.properties?.userProperties, undefined);
    const p = await env.login();
    p.send(publishPacket('un/z', 'gone', { qos: 1, messageId: 1 }));
    p.send(publishPacket('un/x', 'still', { qos: 1, messageId: 2 }));
    const [m] = await publishesOf(c, 1);
    assert.equal(m?.payload.toString(), 'still');
    assert.ok(await noMorePublishes(c, 1));
    c.destroy();
    p.destroy();
  });

  test('[5.0 MQTT-3.10.4-3] a QoS 1 delivery started before UNSUBSCRIBE is completed', async () => {
    const id = env.id();
    const session = { clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } };
    const c = await env.login(session);
    await sub(c, [{ topic: 'unq/x', qos: 1 }]);
    const p = await env.login();
    p.send(publishPacket('unq/x', 'in flight', { qos: 1, messageId: 1 }));
    const [m] = await publishesOf(c, 1);
    c.send({ cmd: 'unsubscribe', messageId: 2, unsubscriptions: ['unq/x'] });
    await expect(c, 'unsuback');
    c.destroy();
    await c.waitClosed();
    const again = await env.login(session);
    const [resent] = await publishesOf(again, 1);
    assert.equal(resent?.messageId, m?.messageId);
    assert.equal(resent?.dup, true);
    again.destroy();
    p.destroy();
  });

  test("[5.0 MQTT-3.9.2-1] [5.0 MQTT-3.9.2-2] a SUBACK leaves out its Reason String rather than exceed the client's Maximum Packet Size", async () => {
    const c = await env.login({ properties: { maximumPacketSize: 40 } });
    c.send({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'long/#/invalid/filter', qos: 0 }] });
    const ack = await expect<ISubackPacket>(c, 'suback');
    assert.deepEqual(ack.granted, [RC.TOPIC_FILTER_INVALID]);
    assert.equal(ack.properties?.reasonString, undefined);
    assert.equal(ack.properties?.userProperties, undefined);
    c.destroy();
  });

  test('[5.0 MQTT-4.7.2-1] filters starting with a wildcard do not match topic names starting with $', () => {
    // Clients cannot publish $ topics in Plexus ($SYS is the server's), so the rule is checked on the
    // router's own subscription tree and on the matcher ACL rules use.
    const tree = new TopicTree<string>();
    const opts = { qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 } as const;
    for (const f of ['#', '+/x', '+/+', '$SYS/#', '$SYS/+']) tree.add(f, f, opts);
    const hits: string[] = [];
    tree.match('$SYS/x', (sub) => hits.push(sub.subscriber));
    assert.deepEqual(hits.sort(), ['$SYS/#', '$SYS/+']);
    for (const f of ['#', '+/x', '+/+']) assert.equal(topicMatches(f, '$SYS/x'), false, f);
    assert.equal(topicMatches('#', 'SYS/x'), true);
  });

  test('[5.0 MQTT-4.7.3-4] [5.0 MQTT-4.7.3-3] topics are matched byte for byte: no case folding, no Unicode normalization, no collapsing of empty levels', async () => {
    const c = await env.login();
    await sub(c, [{ topic: 'norm/\u00e9', qos: 0 }]); // é precomposed
    const long = `norm/${'l'.repeat(60_000)}`;
    await sub(c, [{ topic: long, qos: 0 }]);
    const p = await env.login();
    for (const t of ['norm/e\u0301', 'NORM/\u00e9', 'norm//\u00e9', 'norm/\u00e9', long])
      p.send(publishPacket(t, t));
    const got = await publishesOf(c, 2);
    assert.ok(await noMorePublishes(c, 2));
    assert.deepEqual(
      got.map((m) => m.topic),
      ['norm/\u00e9', long],
    );
    c.destroy();
    p.destroy();
  });

  test("[5.0 MQTT-3.14.0-1] [5.0 MQTT-3.14.2-1] [5.0 MQTT-3.14.2-2] [5.0 MQTT-3.14.4-1] [5.0 MQTT-3.14.4-2] [5.0 MQTT-3.14.2-3] [5.0 MQTT-3.14.2-4] a server DISCONNECT has a defined reason code, no Session Expiry Interval, fits the client's maximum, is the last packet, and the connection closes", async () => {
    const c = await env.login({ properties: { sessionExpiryInterval: 60, maximumPacketSize: 32 } });
    c.send(publishPacket('a/+', 'x'));
    const r = await c.dropped();
    assert.deepEqual(r, { closed: true, reasonCode: RC.TOPIC_NAME_INVALID });
    const last = c.received.at(-1) as IDisconnectPacket;
    assert.equal(last.cmd, 'disconnect');
    assert.ok(REASON_CODES.disconnect.includes(last.reasonCode as never));
    assert.equal(last.properties?.sessionExpiryInterval, undefined);
    assert.equal(last.properties?.reasonString, undefined, 'a reason string beyond Maximum Packet Size');
    assert.equal(last.properties?.userProperties, undefined);
  });

  test('[5.0 MQTT-4.8.2-6] a shared delivery refused by its subscriber is not sent to another member', async () => {
    const a = await env.login();
    const b = await env.login();
    await sub(a, [{ topic: '$share/pool/sh/x', qos: 1 }]);
    await sub(b, [{ topic: '$share/pool/sh/x', qos: 1 }]);
    const p = await env.login();
    p.send(publishPacket('sh/x', 'one', { qos: 1, messageId: 1 }));
    await a.until(() => a.publishes().length + b.publishes().length === 1, 2000);
    const [taker, other] = a.publishes().length === 1 ? [a, b] : [b, a];
    const m = taker.publishes()[0];
    taker.send({ cmd: 'puback', messageId: m?.messageId as number, reasonCode: 0x80 });
    taker.destroy();
    assert.ok(await noMorePublishes(other, 0, 500), 'the refused message went to another member');
    other.destroy();
    p.destroy();
  });

  test('[5.0 MQTT-4.8.2-4] [5.0 MQTT-4.8.2-5] a QoS 2 shared delivery cut off by a disconnect is completed on reconnection, and never handed to another member', async () => {
    const id = env.id();
    const session = { clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } };
    const a = await env.login(session);
    await sub(a, [{ topic: '$share/q2pool/shq/x', qos: 2 }]);
    const p = await env.login();
    p.send(publishPacket('shq/x', 'only-a', { qos: 2, messageId: 1 }));
    const [m] = await publishesOf(a, 1);
    const b = await env.login();
    await sub(b, [{ topic: '$share/q2pool/shq/x', qos: 2 }]);
    a.destroy();
    await a.waitClosed();
    assert.ok(await noMorePublishes(b, 0, 400), 'the in-flight QoS 2 message went to another member');
    const again = await env.login(session);
    const [resent] = await publishesOf(again, 1);
    assert.equal(resent?.payload.toString(), 'only-a');
    assert.equal(resent?.messageId, m?.messageId);
    // A member whose session ends (expiry 0) takes its QoS 2 message with it.
    const c = await env.login({ properties: { sessionExpiryInterval: 0 } });
    await sub(c, [{ topic: '$share/endpool/she/x', qos: 2 }]);
    p.send(publishPacket('she/x', 'ends-with-c', { qos: 2, messageId: 2 }));
    await publishesOf(c, 1);
    const d = await env.login();
    await sub(d, [{ topic: '$share/endpool/she/x', qos: 2 }]);
    c.destroy();
    await c.waitClosed();
    assert.ok(
      await noMorePublishes(d, 0, 400),
      'the QoS 2 message of an ended session went to another member',
    );
    again.destroy();
    b.destroy();
    d.destroy();
    p.destroy();
  });

  test('[5.0 MQTT-6.0.0-1] [5.0 MQTT-6.0.0-2] [5.0 MQTT-6.0.0-4] over WebSocket: subprotocol "mqtt", packets split across frames are reassembled, a text frame closes the connection', async () => {
    const url = `${env.app.url.replace('http', 'ws')}/mqtt`;
    const open = () =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(url, ['mqtt']);
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      });
    const ws = await open();
    assert.equal(ws.protocol, 'mqtt');
    const got: Buffer[] = [];
    ws.on('message', (d: Buffer) => got.push(d));
    const connect = mqttPacket.generate(env.connectOf(), { protocolVersion: 5 });
    const ping = mqttPacket.generate({ cmd: 'pingreq' }, { protocolVersion: 5 });
    const bytes = Buffer.concat([connect, ping]);
    // CONNECT in two frames, the second also carrying the PINGREQ.
    ws.send(bytes.subarray(0, 5));
    ws.send(bytes.subarray(5));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no CONNACK and PINGRESP')), 2000);
      const check = () => {
        const all = Buffer.concat(got);
        if (all.length >= 2 && all.includes(0xd0)) {
          clearTimeout(t);
          resolve();
        }
      };
      ws.on('message', check);
    });
    assert.equal(Buffer.concat(got)[0], 0x20);
    const closed = new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('a text frame did not close the connection')), 2000);
      ws.once('close', () => {
        clearTimeout(t);
        resolve();
      });
    });
    ws.send('text is not allowed');
    await closed;
    ws.terminate();
  });
});
