/**
 * MQTT 5.0 conformance: packet format, PUBLISH and the QoS flows, topic
 * aliases, message properties and flow control (spec §1.5, §2, §3.3-3.7,
 * §4.3-4.6, §4.9), over real sockets with raw packets.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type {
  IConnackPacket,
  IPubackPacket,
  IPubcompPacket,
  IPublishPacket,
  IPubrecPacket,
  IPubrelPacket,
  ISubackPacket,
  IUnsubackPacket,
} from 'mqtt-packet';
import { frame, publishPacket, type RawMqtt, str } from '../../helpers/raw-mqtt.js';
import {
  expect,
  frames,
  noMorePublishes,
  publishesOf,
  RC,
  REASON_CODES,
  startV5,
  sub,
  tap,
  type V5Env,
} from './v5-helpers.js';

const RECEIVE_MAXIMUM = 8;
const TOPIC_ALIAS_MAXIMUM = 4;

describe('MQTT 5.0 conformance: PUBLISH and QoS', () => {
  let env: V5Env;
  before(async () => {
    env = await startV5({
      PLEXUS_MQTT_RECEIVE_MAXIMUM: String(RECEIVE_MAXIMUM),
      PLEXUS_MQTT_TOPIC_ALIAS_MAXIMUM: String(TOPIC_ALIAS_MAXIMUM),
    });
  });
  after(() => env.stop());

  /** Logs in, sends `bytes`, and expects DISCONNECT `rc` and the close. */
  async function dropsWith(bytes: Buffer, rc: number, what: string): Promise<void> {
    const c = await env.login();
    c.write(bytes);
    const r = await c.dropped();
    assert.deepEqual(r, { closed: true, reasonCode: rc }, what);
  }
  /** A subscriber (QoS `qos`) on `filter` and a publisher. */
  async function pair(filter: string, qos: 0 | 1 | 2 = 2, connect = {}): Promise<{ s: RawMqtt; p: RawMqtt }> {
    const s = await env.login(connect);
    await sub(s, [{ topic: filter, qos }]);
    return { s, p: await env.login() };
  }

  test('[5.0 MQTT-1.5.4-2] [5.0 MQTT-4.7.3-2] a topic name with U+0000 is refused and the connection closed', async () => {
    await dropsWith(frame(0x30, str('a/\u0000/b'), [0], Buffer.from('x')), RC.TOPIC_NAME_INVALID, 'U+0000');
  });

  test('[5.0 MQTT-1.5.4-1] [5.0 MQTT-3.3.2-1] [5.0 MQTT-3.3.2-13] [5.0 MQTT-3.3.2-19] [5.0 MQTT-1.5.7-1] ill-formed UTF-8 in a topic name, Response Topic, Content Type or User Property closes the connection', async () => {
    const surrogate = Buffer.from([0x61, 0xed, 0xa0, 0x80]);
    await dropsWith(frame(0x30, str(surrogate), [0], Buffer.from('x')), RC.TOPIC_NAME_INVALID, 'topic');
    for (const [what, prop] of [
      ['Response Topic', Buffer.concat([Buffer.from([0x08]), str(surrogate)])],
      ['Content Type', Buffer.concat([Buffer.from([0x03]), str(surrogate)])],
      ['User Property name', Buffer.concat([Buffer.from([0x26]), str(surrogate), str('v')])],
      ['User Property value', Buffer.concat([Buffer.from([0x26]), str('k'), str(surrogate)])],
    ] as const) {
      await dropsWith(frame(0x30, str('utf/x'), [prop.length], prop, Buffer.from('x')), RC.MALFORMED, what);
    }
  });

  test('[5.0 MQTT-1.5.4-3] a BOM (EF BB BF) in a topic is neither skipped nor stripped', async () => {
    const topic = '\uFEFFbom/\uFEFF';
    const { s, p } = await pair(topic, 0);
    p.send(publishPacket(topic, 'b'));
    const [m] = await publishesOf(s, 1);
    assert.equal(m?.topic, topic);
    s.destroy();
    p.destroy();
  });

  test('[5.0 MQTT-1.5.5-1] a Variable Byte Integer longer than needed is malformed', async () => {
    // PINGREQ with Remaining Length 0 written in two bytes.
    await dropsWith(Buffer.from([0xc0, 0x80, 0x00]), RC.MALFORMED, 'non-minimal remaining length');
  });

  test('[5.0 MQTT-2.1.3-1] [5.0 MQTT-3.6.1-1] [5.0 MQTT-3.8.1-1] [5.0 MQTT-3.10.1-1] [5.0 MQTT-3.14.1-1] [5.0 MQTT-3.15.1-1] [5.0 MQTT-4.13.1-1] wrong reserved fixed-header flags are malformed: DISCONNECT 0x81 and close', async () => {
    const cases: [string, Buffer][] = [
      ['PUBREL 0110 0000', Buffer.from([0x60, 0x02, 0x00, 0x01])],
      ['SUBSCRIBE 1000 0000', frame(0x80, [0, 1, 0], str('a/b'), [0])],
      ['UNSUBSCRIBE 1010 0000', frame(0xa0, [0, 1, 0], str('a/b'))],
      ['PINGREQ 1100 0001', Buffer.from([0xc1, 0x00])],
      ['DISCONNECT 1110 0001', Buffer.from([0xe1, 0x00])],
      ['AUTH 1111 0001', Buffer.from([0xf1, 0x00])],
    ];
    for (const [what, bytes] of cases) await dropsWith(bytes, RC.MALFORMED, what);
  });

  test('[5.0 MQTT-3.3.1-4] a PUBLISH with both QoS bits set is malformed', async () => {
    await dropsWith(frame(0x36, str('q/3'), [0, 1], [0], Buffer.from('x')), RC.MALFORMED, 'QoS 3');
  });

  test('[5.0 MQTT-2.2.1-2] [5.0 MQTT-2.2.2-1] [5.0 MQTT-3.3.1-2] [5.0 MQTT-4.3.1-1] a QoS 0 delivery has no packet identifier, DUP 0, and Property Length 0 when it has no properties', async () => {
    const { s, p } = await pair('q0/x', 0);
    const bytes = tap(s);
    p.send(publishPacket('q0/x', 'zero', { qos: 0 }));
    await publishesOf(s, 1);
    const f = frames(bytes).find((x) => x.first >> 4 === 3);
    assert.equal(f?.first, 0x30, 'QoS 0, DUP 0, RETAIN 0');
    // Topic (2 + 4 bytes), then directly the Property Length 0, then the payload.
    assert.deepEqual([...(f?.body ?? [])], [0, 4, ...Buffer.from('q0/x'), 0, ...Buffer.from('zero')]);
    s.destroy();
    p.destroy();
  });

  test('[5.0 MQTT-2.2.1-5] [5.0 MQTT-3.3.4-1] [5.0 MQTT-4.3.2-4] [5.0 MQTT-4.3.3-8] [5.0 MQTT-4.3.3-11] [5.0 MQTT-3.4.2-1] [5.0 MQTT-3.5.2-1] [5.0 MQTT-3.7.2-1] [5.0 MQTT-3.7.2-2] [5.0 MQTT-3.7.2-3] each QoS gets its own answer, carrying the PUBLISH packet identifier and a defined reason code', async () => {
    const c = await env.login({ properties: { maximumPacketSize: 32 } });
    c.send(publishPacket('ack/q0', 'x', { qos: 0 }));
    c.send(publishPacket('ack/q1', 'x', { qos: 1, messageId: 4321 }));
    const puback = await expect<IPubackPacket>(c, 'puback');
    assert.equal(puback.messageId, 4321);
    assert.ok(REASON_CODES.puback.includes((puback.reasonCode ?? 0) as never));
    c.send(publishPacket('ack/q2', 'x', { qos: 2, messageId: 777 }));
    const pubrec = await expect<IPubrecPacket>(c, 'pubrec');
    assert.equal(pubrec.messageId, 777);
    assert.ok(REASON_CODES.pubrec.includes((pubrec.reasonCode ?? 0) as never));
    c.send({ cmd: 'pubrel', messageId: 777 });
    const pubcomp = await expect<IPubcompPacket>(c, 'pubcomp');
    assert.equal(pubcomp.messageId, 777);
    assert.ok(REASON_CODES.pubcomp.includes((pubcomp.reasonCode ?? 0) as never));
    assert.equal(pubcomp.properties?.reasonString, undefined);
    assert.equal(pubcomp.properties?.userProperties, undefined);
    // Nothing answered the QoS 0 PUBLISH.
    assert.deepEqual(
      c.received.map((p) => p.cmd),
      ['connack', 'puback', 'pubrec', 'pubcomp'],
    );
    c.destroy();
  });

  test('[5.0 MQTT-2.2.1-4] [5.0 MQTT-4.3.2-1] [5.0 MQTT-4.3.2-2] [5.0 MQTT-4.3.3-1] [5.0 MQTT-4.3.3-2] [5.0 MQTT-3.3.1-3] [5.0 MQTT-4.6.0-5] [5.0 MQTT-4.6.0-6] deliveries get unused non-zero identifiers, DUP 0 whatever the publisher sent, in publish order', async () => {
    const { s, p } = await pair('ids/#', 2);
    for (let i = 0; i < 6; i++) {
      p.send(publishPacket('ids/x', `m${i}`, { qos: (1 + (i % 2)) as 1 | 2, messageId: 100 + i, dup: true }));
    }
    const got = await publishesOf(s, 6);
    assert.deepEqual(
      got.map((m) => m.payload.toString()),
      ['m0', 'm1', 'm2', 'm3', 'm4', 'm5'],
    );
    const ids = got.map((m) => m.messageId as number);
    assert.ok(ids.every((id) => id > 0));
    assert.equal(new Set(ids).size, 6, 'identifiers in use were reused');
    assert.ok(got.every((m) => m.dup === false));
    s.destroy();
    p.destroy();
  });

  test('[5.0 MQTT-4.3.2-3] [5.0 MQTT-4.4.0-1] [5.0 MQTT-3.3.1-1] an unacknowledged QoS 1 delivery is resent with DUP 1 and the same identifier on reconnection, and not before', async () => {
    const id = env.id();
    const session = { clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } };
    const s = await env.login(session);
    await sub(s, [{ topic: 'redo/x', qos: 1 }]);
    const p = await env.login();
    p.send(publishPacket('redo/x', 'again', { qos: 1, messageId: 1 }));
    const [first] = await publishesOf(s, 1);
    assert.equal(first?.dup, false);
    assert.ok(await noMorePublishes(s, 1, 400), 'resent on the same connection');
    s.destroy();
    await s.waitClosed();
    const s2 = await env.login(session);
    const [again] = await publishesOf(s2, 1);
    assert.equal(again?.payload.toString(), 'again');
    assert.equal(again?.dup, true);
    assert.equal(again?.messageId, first?.messageId);
    s2.send({ cmd: 'puback', messageId: again?.messageId as number });
    s2.destroy();
    p.destroy();
  });

  test('[5.0 MQTT-4.3.3-3] [5.0 MQTT-4.3.3-4] [5.0 MQTT-4.3.3-5] [5.0 MQTT-4.3.3-6] [5.0 MQTT-3.6.2-1] [5.0 MQTT-3.6.2-2] [5.0 MQTT-3.6.2-3] QoS 2 towards a client: the PUBLISH is resent until PUBREC, which is answered by PUBREL (same id), which is resent, not the PUBLISH, until PUBCOMP', async () => {
    const id = env.id();
    const session = {
      clientId: id,
      clean: false,
      properties: { sessionExpiryInterval: 60, maximumPacketSize: 64 },
    };
    const s = await env.login(session);
    await sub(s, [{ topic: 'q2/x', qos: 2 }]);
    const p = await env.login();
    p.send(publishPacket('q2/x', 'two', { qos: 2, messageId: 9 }));
    const [first] = await publishesOf(s, 1);
    // Without PUBREC the PUBLISH stays unacknowledged: it comes again on the next connection.
    s.destroy();
    await s.waitClosed();
    const s1 = await env.login(session);
    const [m] = await publishesOf(s1, 1);
    assert.equal(m?.dup, true);
    assert.equal(m?.messageId, first?.messageId);
    const mid = m?.messageId as number;
    s1.send({ cmd: 'pubrec', messageId: mid });
    const rel = await expect<IPubrelPacket>(s1, 'pubrel');
    assert.equal(rel.messageId, mid);
    assert.ok(REASON_CODES.pubrel.includes((rel.reasonCode ?? 0) as never));
    assert.equal(rel.properties?.reasonString, undefined);
    assert.equal(rel.properties?.userProperties, undefined);
    s1.destroy();
    await s1.waitClosed();
    const s2 = await env.login(session);
    const rel2 = await expect<IPubrelPacket>(s2, 'pubrel');
    assert.equal(rel2.messageId, mid);
    assert.equal(s2.publishes().length, 0, 'the PUBLISH was resent after PUBREL');
    s2.send({ cmd: 'pubcomp', messageId: mid });
    assert.ok(await noMorePublishes(s2, 0, 300));
    s2.destroy();
    p.destroy();
  });

  test('[5.0 MQTT-4.4.0-2] a delivery answered with a PUBACK of 0x80 or more is acknowledged: not resent on reconnection', async () => {
    const id = env.id();
    const session = { clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } };
    const s = await env.login(session);
    await sub(s, [{ topic: 'nack/x', qos: 1 }]);
    const p = await env.login();
    p.send(publishPacket('nack/x', 'refused', { qos: 1, messageId: 1 }));
    const [m] = await publishesOf(s, 1);
    s.send({ cmd: 'puback', messageId: m?.messageId as number, reasonCode: 0x80 });
    s.send({ cmd: 'pingreq' });
    await expect(s, 'pingresp');
    s.destroy();
    await s.waitClosed();
    const s2 = await env.login(session);
    assert.ok(await noMorePublishes(s2, 0, 400), 'a refused message was resent');
    s2.destroy();
    p.destroy();
  });

  test('[5.0 MQTT-4.3.2-5] after PUBACK, a PUBLISH with the same identifier is a new message', async () => {
    const { s, p } = await pair('same1/x', 1);
    for (const text of ['one', 'two']) {
      p.send(publishPacket('same1/x', text, { qos: 1, messageId: 42, dup: true }));
      await expect(p, 'puback');
    }
    assert.deepEqual(
      (await publishesOf(s, 2)).map((m) => m.payload.toString()),
      ['one', 'two'],
    );
    s.destroy();
    p.destroy();
  });

  test('[5.0 MQTT-4.3.3-10] [5.0 MQTT-4.3.3-12] QoS 2 from a client: a repeat before PUBREL gets PUBREC again and is not delivered twice; after PUBCOMP the identifier is new', async () => {
    const { s, p } = await pair('same2/x', 2);
    p.send(publishPacket('same2/x', 'once', { qos: 2, messageId: 50 }));
    await expect(p, 'pubrec');
    p.send(publishPacket('same2/x', 'once', { qos: 2, messageId: 50, dup: true }));
    assert.equal((await expect<IPubrecPacket>(p, 'pubrec')).messageId, 50);
    p.send({ cmd: 'pubrel', messageId: 50 });
    await expect(p, 'pubcomp');
    p.send(publishPacket('same2/x', 'new', { qos: 2, messageId: 50 }));
    await expect(p, 'pubrec');
    p.send({ cmd: 'pubrel', messageId: 50 });
    await expect(p, 'pubcomp');
    const got = await publishesOf(s, 2);
    assert.ok(await noMorePublishes(s, 2, 300));
    assert.deepEqual(
      got.map((m) => m.payload.toString()),
      ['once', 'new'],
    );
    s.destroy();
    p.destroy();
  });

  test('[5.0 MQTT-4.3.3-9] after a PUBREC of 0x80 or more, a PUBLISH with that identifier is a new message', async () => {
    const { s, p } = await pair('pfi/x', 2);
    const props = { payloadFormatIndicator: true };
    p.send(publishPacket('pfi/x', Buffer.from([0xff]), { qos: 2, messageId: 60, properties: props }));
    assert.equal((await expect<IPubrecPacket>(p, 'pubrec')).reasonCode, 0x99);
    p.send(publishPacket('pfi/x', 'valid', { qos: 2, messageId: 60, properties: props }));
    assert.equal((await expect<IPubrecPacket>(p, 'pubrec')).reasonCode ?? 0, 0);
    p.send({ cmd: 'pubrel', messageId: 60 });
    await expect(p, 'pubcomp');
    assert.equal((await publishesOf(s, 1))[0]?.payload.toString(), 'valid');
    s.destroy();
    p.destroy();
  });

  test('[5.0 MQTT-4.3.3-13] [5.0 MQTT-4.3.3-7] QoS 2 exchanges complete even after the message expired', async () => {
    const { s, p } = await pair('exp2/x', 2);
    p.send(
      publishPacket('exp2/x', 'brief', { qos: 2, messageId: 70, properties: { messageExpiryInterval: 1 } }),
    );
    await expect(p, 'pubrec');
    const [m] = await publishesOf(s, 1);
    await new Promise((r) => setTimeout(r, 1200));
    p.send({ cmd: 'pubrel', messageId: 70 });
    assert.equal((await expect<IPubcompPacket>(p, 'pubcomp')).messageId, 70);
    s.send({ cmd: 'pubrec', messageId: m?.messageId as number });
    assert.equal((await expect<IPubrelPacket>(s, 'pubrel')).messageId, m?.messageId);
    s.send({ cmd: 'pubcomp', messageId: m?.messageId as number });
    s.destroy();
    p.destroy();
  });

  test('[5.0 MQTT-3.3.2-4] [5.0 MQTT-3.3.2-15] [5.0 MQTT-3.3.2-16] [5.0 MQTT-3.3.2-17] [5.0 MQTT-3.3.2-18] [5.0 MQTT-3.3.2-20] [5.0 MQTT-3.3.2-3] message properties reach the subscriber unaltered, user properties in order, on a topic its filter matches', async () => {
    const { s, p } = await pair('props/+', 1);
    const properties = {
      payloadFormatIndicator: true,
      responseTopic: 'reply/\uFEFFhere',
      correlationData: Buffer.from([0, 1, 2, 255]),
      contentType: 'application/json; charset=utf-8',
      userProperties: { b: '2', a: ['1', '3'], c: '' },
    };
    p.send(publishPacket('props/one', '{}', { qos: 1, messageId: 1, properties }));
    const [m] = await publishesOf(s, 1);
    assert.equal(m?.topic, 'props/one');
    assert.equal(m?.properties?.payloadFormatIndicator, true);
    assert.equal(m?.properties?.responseTopic, properties.responseTopic);
    assert.deepEqual(m?.properties?.correlationData, properties.correlationData);
    assert.equal(m?.properties?.contentType, properties.contentType);
    assert.equal(JSON.stringify(m?.properties?.userProperties), JSON.stringify(properties.userProperties));
    s.destroy();
    p.destroy();
  });

  test('[5.0 MQTT-3.3.2-14] [5.0 MQTT-3.3.2-2] [5.0 MQTT-4.7.0-1] wildcards are refused in a topic name and in a Response Topic', async () => {
    for (const t of ['w/+', 'w/#', '+']) {
      await dropsWith(frame(0x30, str(t), [0], Buffer.from('x')), RC.TOPIC_NAME_INVALID, t);
    }
    const c = await env.login();
    c.send(publishPacket('rt/x', 'x', { qos: 1, messageId: 1, properties: { responseTopic: 'reply/#' } }));
    const r = await c.dropped();
    assert.ok(r.closed, 'a wildcard Response Topic was accepted');
    assert.ok([RC.PROTOCOL_ERROR, RC.TOPIC_NAME_INVALID, RC.MALFORMED].includes(r.reasonCode as never));
  });

  test('[5.0 MQTT-3.3.2-5] [5.0 MQTT-3.3.2-6] a queued message expires; one still in time goes out with the time it waited deducted', async () => {
    const id = env.id();
    const session = { clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } };
    const s = await env.login(session);
    await sub(s, [{ topic: 'ttl/#', qos: 1 }]);
    s.send({ cmd: 'disconnect', reasonCode: 0 });
    await s.waitClosed();
    const p = await env.login();
    p.send(
      publishPacket('ttl/short', 'gone', { qos: 1, messageId: 1, properties: { messageExpiryInterval: 1 } }),
    );
    p.send(
      publishPacket('ttl/long', 'kept', { qos: 1, messageId: 2, properties: { messageExpiryInterval: 100 } }),
    );
    await expect(p, 'puback');
    await new Promise((r) => setTimeout(r, 2100));
    const s2 = await env.login(session);
    const [m] = await publishesOf(s2, 1);
    assert.ok(await noMorePublishes(s2, 1, 300), 'the expired message was delivered');
    assert.equal(m?.payload.toString(), 'kept');
    const left = m?.properties?.messageExpiryInterval as number;
    assert.ok(left >= 97 && left <= 99, `expiry sent as ${left}`);
    s2.destroy();
    p.destroy();
  });

  test('[5.0 MQTT-3.3.2-8] [5.0 MQTT-3.3.2-12] [5.0 MQTT-3.2.2-17] [5.0 MQTT-3.3.2-9] [5.0 MQTT-3.3.2-7] every alias from 1 to our Topic Alias Maximum is accepted; 0, a larger one, or an alias of another connection is refused', async () => {
    const s = await env.login();
    await sub(s, [{ topic: 'alias/#', qos: 0 }]);
    const c = await env.login();
    for (let a = 1; a <= TOPIC_ALIAS_MAXIMUM; a++) {
      c.send(publishPacket(`alias/${a}`, 'set', { properties: { topicAlias: a } }));
      c.send(publishPacket('', 'use', { properties: { topicAlias: a } }));
    }
    const got = await publishesOf(s, TOPIC_ALIAS_MAXIMUM * 2);
    assert.deepEqual(
      got.map((m) => m.topic),
      [1, 1, 2, 2, 3, 3, 4, 4].map((a) => `alias/${a}`),
    );
    assert.ok(
      got.every((m) => m.properties?.topicAlias === undefined),
      'aliases forwarded to a client that allows none',
    );
    c.destroy();
    const other = await env.login();
    other.send(publishPacket('', 'unknown here', { properties: { topicAlias: 1 } }));
    assert.deepEqual(await other.dropped(), { closed: true, reasonCode: RC.PROTOCOL_ERROR });
    for (const a of [0, TOPIC_ALIAS_MAXIMUM + 1]) {
      const bad = await env.login();
      bad.send(publishPacket('alias/x', 'x', { properties: { topicAlias: a } }));
      assert.deepEqual(
        await bad.dropped(),
        { closed: true, reasonCode: RC.TOPIC_ALIAS_INVALID },
        `alias ${a}`,
      );
    }
    s.destroy();
  });

  test("[5.0 MQTT-3.1.2-26] [5.0 MQTT-3.1.2-27] [5.0 MQTT-3.3.2-11] the server sends topic aliases only up to the client's Topic Alias Maximum, never 0, none if it gave none", async () => {
    const withAliases = await env.login({ properties: { topicAliasMaximum: 2 } });
    const without = await env.login();
    await sub(withAliases, [{ topic: 'sa/#', qos: 0 }]);
    await sub(without, [{ topic: 'sa/#', qos: 0 }]);
    const p = await env.login();
    const topics = ['sa/1', 'sa/1', 'sa/2', 'sa/3', 'sa/3', 'sa/2', 'sa/1'];
    for (const t of topics) p.send(publishPacket(t, t));
    const got = await publishesOf(withAliases, topics.length);
    await publishesOf(without, topics.length);
    const map = new Map<number, string>();
    got.forEach((m, i) => {
      const a = m.properties?.topicAlias;
      if (a !== undefined) {
        assert.ok(a >= 1 && a <= 2, `alias ${a}`);
        if (m.topic !== '') map.set(a, m.topic);
        assert.equal(m.topic === '' ? map.get(a) : m.topic, topics[i]);
      } else assert.equal(m.topic, topics[i]);
    });
    assert.ok(
      got.some((m) => m.topic === ''),
      'aliases are used at all',
    );
    assert.ok(without.publishes().every((m) => m.properties?.topicAlias === undefined));
    withAliases.destroy();
    without.destroy();
    p.destroy();
  });

  test("[5.0 MQTT-3.1.2-24] [5.0 MQTT-3.1.2-25] a message larger than the client's Maximum Packet Size is not sent to it and counts as delivered", async () => {
    const { s, p } = await pair('big/x', 1, { properties: { maximumPacketSize: 100, receiveMaximum: 1 } });
    const bytes = tap(s);
    p.send(publishPacket('big/x', 'x'.repeat(200), { qos: 1, messageId: 1 }));
    p.send(publishPacket('big/x', 'small', { qos: 1, messageId: 2 }));
    const [m] = await publishesOf(s, 1);
    assert.equal(m?.payload.toString(), 'small', 'the large message took the only in-flight slot');
    assert.ok(frames(bytes).every((f) => f.body.length + 2 <= 100));
    s.destroy();
    p.destroy();
  });

  test("[5.0 MQTT-3.4.2-2] [5.0 MQTT-3.4.2-3] [5.0 MQTT-3.5.2-2] [5.0 MQTT-3.5.2-3] a refusing PUBACK or PUBREC leaves out its Reason String when it would exceed the client's Maximum Packet Size", async () => {
    const c = await env.login({ properties: { maximumPacketSize: 32 } });
    const bytes = tap(c);
    const bad = Buffer.from([0xff]);
    c.send(
      publishPacket('rs/x', bad, { qos: 1, messageId: 1, properties: { payloadFormatIndicator: true } }),
    );
    c.send(
      publishPacket('rs/x', bad, { qos: 2, messageId: 2, properties: { payloadFormatIndicator: true } }),
    );
    const puback = await expect<IPubackPacket>(c, 'puback');
    const pubrec = await expect<IPubrecPacket>(c, 'pubrec');
    assert.equal(puback.reasonCode, 0x99);
    assert.equal(pubrec.reasonCode, 0x99);
    for (const a of [puback, pubrec]) {
      assert.equal(a.properties?.reasonString, undefined);
      assert.equal(a.properties?.userProperties, undefined);
    }
    assert.ok(frames(bytes).every((f) => f.body.length + 2 <= 32));
    c.destroy();
  });

  test("[5.0 MQTT-3.3.4-9] [5.0 MQTT-3.3.4-10] [5.0 MQTT-4.9.0-1] [5.0 MQTT-4.9.0-2] [5.0 MQTT-4.9.0-3] the server keeps at most the client's Receive Maximum unacknowledged, and still answers other packets", async () => {
    const { s, p } = await pair('flow/x', 1, { properties: { receiveMaximum: 2 } });
    for (let i = 0; i < 5; i++) p.send(publishPacket('flow/x', `f${i}`, { qos: 1, messageId: i + 1 }));
    await publishesOf(s, 2);
    assert.ok(await noMorePublishes(s, 2, 300), 'more than Receive Maximum in flight');
    s.send({ cmd: 'pingreq' });
    await expect(s, 'pingresp');
    assert.deepEqual(await sub(s, [{ topic: 'flow/other', qos: 0 }]), [0]);
    p.send(publishPacket('flow/other', 'q0'));
    await s.until(() => s.publishes().some((m) => m.qos === 0), 1000);
    for (const m of s.publishes().filter((x) => x.qos === 1))
      s.send({ cmd: 'puback', messageId: m.messageId as number });
    await s.until(() => s.publishes().filter((x) => x.qos === 1).length === 4, 2000);
    const q1 = s.publishes().filter((x) => x.qos === 1);
    assert.equal(q1.length, 4, 'the window did not move on');
    for (const m of q1.slice(2)) s.send({ cmd: 'puback', messageId: m.messageId as number });
    await s.until(() => s.publishes().filter((x) => x.qos === 1).length === 5, 2000);
    assert.deepEqual(
      s
        .publishes()
        .filter((x) => x.qos === 1)
        .map((m) => m.payload.toString()),
      ['f0', 'f1', 'f2', 'f3', 'f4'],
    );
    s.destroy();
    p.destroy();
  });

  test('[5.0 MQTT-3.2.2-15] a packet over the Maximum Packet Size the server announced gets DISCONNECT 0x95', async () => {
    const c = await env.open();
    c.send(env.connectOf());
    const ack = await expect<IConnackPacket>(c, 'connack');
    const max = ack.properties?.maximumPacketSize as number;
    assert.ok(max > 0, 'Maximum Packet Size announced');
    c.send(publishPacket('big/in', Buffer.alloc(max), { qos: 0 }));
    assert.deepEqual(await c.dropped(), { closed: true, reasonCode: RC.PACKET_TOO_LARGE });
  });

  test('[5.0 MQTT-2.2.1-6] [5.0 MQTT-3.12.4-1] SUBACK and UNSUBACK carry the identifier of their request; PINGREQ gets PINGRESP', async () => {
    const c = await env.login();
    c.send({ cmd: 'subscribe', messageId: 31000, subscriptions: [{ topic: 'id/x', qos: 1 }] });
    assert.equal((await expect<ISubackPacket>(c, 'suback')).messageId, 31000);
    c.send({ cmd: 'unsubscribe', messageId: 31001, unsubscriptions: ['id/x'] });
    assert.equal((await expect<IUnsubackPacket>(c, 'unsuback')).messageId, 31001);
    c.send({ cmd: 'pingreq' });
    await expect(c, 'pingresp');
    c.destroy();
  });

  test('[5.0 MQTT-4.5.0-1] [5.0 MQTT-3.3.4-2] overlapping subscriptions get the message at the highest granted QoS', async () => {
    const s = await env.login();
    await sub(s, [
      { topic: 'ovl/#', qos: 0 },
      { topic: 'ovl/+', qos: 2 },
    ]);
    const p = await env.login();
    p.send(publishPacket('ovl/x', 'x', { qos: 2, messageId: 1 }));
    await publishesOf(s, 1);
    await s.until(() => false, 200);
    const got = s.publishes() as IPublishPacket[];
    assert.ok(
      got.some((m) => m.qos === 2),
      `QoS ${got.map((m) => m.qos)}`,
    );
    s.destroy();
    p.destroy();
  });
});
