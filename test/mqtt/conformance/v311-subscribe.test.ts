import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { IPublishPacket, ISubackPacket, IUnsubackPacket } from 'mqtt-packet';
import { RetainedIndex } from '../../../src/transports/mqtt/retained-index.js';
import { TopicTree } from '../../../src/transports/mqtt/topic-tree.js';
import { frame, publishPacket, str } from '../../helpers/raw-mqtt.js';
import { dropped, startV311, subscribed, type V311 } from './v311-setup.js';

describe('MQTT 3.1.1 conformance: SUBSCRIBE, UNSUBSCRIBE, topics, PING, DISCONNECT', () => {
  let s: V311;
  before(async () => {
    s = await startV311();
  });
  after(() => s.app.stop());

  /** Proves nothing more is on its way: a PINGRESP after everything sent so far. */
  async function settled(c: Awaited<ReturnType<V311['client']>>): Promise<void> {
    c.send({ cmd: 'pingreq' });
    assert.ok(await c.next('pingresp'), 'PINGRESP');
  }

  test('[3.1.1 MQTT-3.8.1-1] [3.1.1 MQTT-3.10.1-1] [3.1.1 MQTT-2.2.2-1] SUBSCRIBE or UNSUBSCRIBE without the reserved flags 0010 closes the connection', async () => {
    for (const [what, first] of [
      ['SUBSCRIBE 0x80', 0x80],
      ['SUBSCRIBE 0x83', 0x83],
      ['UNSUBSCRIBE 0xA0', 0xa0],
    ] as const) {
      const c = await s.client('s-flags');
      const body = first >> 4 === 8 ? [str('s/x'), [0]] : [str('s/x')];
      c.write(frame(first, [0, 1], ...body));
      await dropped(c, what);
    }
  });

  test('[3.1.1 MQTT-3.8.3-3] [3.1.1 MQTT-3.10.3-2] SUBSCRIBE or UNSUBSCRIBE without any topic filter closes the connection', async () => {
    for (const [what, first] of [
      ['SUBSCRIBE', 0x82],
      ['UNSUBSCRIBE', 0xa2],
    ] as const) {
      const c = await s.client('s-empty');
      c.write(frame(first, [0, 1]));
      await dropped(c, `${what} without payload`);
    }
  });

  test('[3.1.1 MQTT-3.8.3-4] reserved bits in the requested QoS byte, or QoS 3, close the connection', async () => {
    for (const options of [0x04, 0x81, 0x03]) {
      const c = await s.client('s-options');
      c.write(frame(0x82, [0, 1], str('s/x'), [options]));
      await dropped(c, `options 0x${options.toString(16)}`);
    }
  });

  test('[3.1.1 MQTT-3.8.3-1] [3.1.1 MQTT-3.10.3-1] [3.1.1 MQTT-1.5.3-1] [3.1.1 MQTT-1.5.3-2] a topic filter that is not UTF-8, or holds U+0000, closes the connection', async () => {
    const bad = Buffer.from([0x73, 0x2f, 0xc0, 0xaf]);
    const nul = Buffer.from([0x73, 0x2f, 0x00]);
    for (const [what, b] of [
      ['SUBSCRIBE, not UTF-8', frame(0x82, [0, 1], str(bad), [0])],
      ['SUBSCRIBE, U+0000', frame(0x82, [0, 1], str(nul), [0])],
      ['UNSUBSCRIBE, not UTF-8', frame(0xa2, [0, 1], str(bad))],
    ] as const) {
      const c = await s.client('s-utf8');
      c.write(b);
      await dropped(c, what);
    }
  });

  test('[3.1.1 MQTT-2.3.1-1] SUBSCRIBE or UNSUBSCRIBE with packet identifier 0 closes the connection', async () => {
    for (const b of [frame(0x82, [0, 0], str('s/x'), [0]), frame(0xa2, [0, 0], str('s/x'))]) {
      const c = await s.client('s-id0');
      c.write(b);
      await dropped(c, `packet 0x${b[0]?.toString(16)} with id 0`);
    }
  });

  test('[3.1.1 MQTT-3.8.4-1] [3.1.1 MQTT-3.8.4-2] [3.1.1 MQTT-2.3.1-7] [3.1.1 MQTT-3.8.4-4] [3.1.1 MQTT-3.8.4-5] [3.1.1 MQTT-3.9.3-1] [3.1.1 MQTT-3.9.3-2] one SUBACK with the same identifier and one return code per filter, in order: the granted QoS or 0x80', async () => {
    const c = await s.client('s-multi');
    c.send({
      cmd: 'subscribe',
      messageId: 4242,
      subscriptions: [
        { topic: 's/multi/a', qos: 0 },
        { topic: 's/multi/b/#', qos: 1 },
        { topic: 's/multi/#/bad', qos: 2 },
        { topic: 's/multi/c/+', qos: 2 },
      ],
    });
    const ack = (await c.next('suback')) as ISubackPacket;
    assert.equal(ack.messageId, 4242);
    assert.deepEqual(ack.granted, [0, 1, 0x80, 2]);
    // Each granted filter works as if subscribed alone.
    const pub = await s.client('s-multi-pub');
    for (const t of ['s/multi/a', 's/multi/b/x', 's/multi/c/y'])
      pub.send(publishPacket(t, t, { qos: 1, messageId: 1 }));
    assert.ok(await c.until(() => c.publishes().length === 3, 2000));
    assert.deepEqual(
      c.publishes().map((p) => [p.topic, p.qos]),
      [
        ['s/multi/a', 0],
        ['s/multi/b/x', 1],
        ['s/multi/c/y', 1],
      ],
    );
    c.destroy();
    pub.destroy();
  });

  test('[3.1.1 MQTT-4.7.1-2] [3.1.1 MQTT-4.7.1-3] a misplaced # or + fails that subscription (0x80); well-placed wildcards match as specified', async () => {
    const c = await s.client('s-wild');
    const bad = ['w/#/x', 'w#', 'w/x#', 'w/+x', 'w+/y', '##'];
    c.send({
      cmd: 'subscribe',
      messageId: 2,
      subscriptions: bad.map((topic) => ({ topic, qos: 0 as const })),
    });
    assert.deepEqual(
      ((await c.next('suback')) as ISubackPacket).granted,
      bad.map(() => 0x80),
    );
    const good = ['w/+/x', '+/+', 'w/#', '+/y/+'];
    c.send({
      cmd: 'subscribe',
      messageId: 3,
      subscriptions: good.map((topic) => ({ topic, qos: 0 as const })),
    });
    assert.deepEqual(((await c.next('suback')) as ISubackPacket).granted, [0, 0, 0, 0]);
    const pub = await s.client('s-wild-pub');
    // w/a/x: w/+/x, w/#. w/y: +/+, w/#. z/y/q: +/y/+. w: w/# (the parent level). q/r/s: none.
    // Overlapping matches arrive as one copy [MQTT-3.3.5-1].
    for (const t of ['w/a/x', 'w/y', 'z/y/q', 'w', 'q/r/s']) pub.send(publishPacket(t, t));
    await settled(pub);
    await settled(c);
    const counts = new Map<string, number>();
    for (const p of c.publishes()) counts.set(p.topic, (counts.get(p.topic) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(counts), { 'w/a/x': 1, 'w/y': 1, 'z/y/q': 1, w: 1 });
    c.destroy();
    pub.destroy();
  });

  test('[3.1.1 MQTT-4.7.2-1] filters starting with # or + never match topics starting with $ (subscriptions and retained messages)', () => {
    const tree = new TopicTree<string>();
    const opts = { qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 } as const;
    for (const f of ['#', '+/broker', '+/+', '$SYS/#', '$SYS/+']) tree.add(f, f, opts);
    const hits: string[] = [];
    tree.match('$SYS/broker', (sub) => hits.push(sub.filter));
    assert.deepEqual(hits.sort(), ['$SYS/#', '$SYS/+']);
    const retained = new RetainedIndex<string>();
    retained.set('$SYS/broker', 'x');
    retained.set('sys/broker', 'y');
    for (const [filter, want] of [
      ['#', ['sys/broker']],
      ['+/broker', ['sys/broker']],
      ['$SYS/#', ['$SYS/broker']],
    ] as const) {
      const got: string[] = [];
      retained.match(filter, (t) => got.push(t));
      assert.deepEqual(got, want, filter);
    }
  });

  test('[3.1.1 MQTT-4.7.3-4] [3.1.1 MQTT-1.5.3-3] topics are matched byte for byte: no case folding, Unicode normalization, slash collapsing or U+FEFF stripping', async () => {
    const c = await s.client('s-norm');
    const composed = 'n/caf\u00e9';
    await subscribed(c, composed, 0, 1);
    await subscribed(c, 'n/A', 0, 2);
    await subscribed(c, 'n/b', 0, 3);
    const pub = await s.client('s-norm-pub');
    for (const t of [
      'n/cafe\u0301',
      'n/a',
      'n//b',
      'n/b/',
      '/n/b',
      '\uFEFFn/b',
      'n/\uFEFFb',
      composed,
      'n/A',
      'n/b',
    ])
      pub.send(publishPacket(t, t));
    await settled(pub);
    await settled(c);
    assert.deepEqual(
      c.publishes().map((p) => p.topic),
      [composed, 'n/A', 'n/b'],
    );
    c.destroy();
    pub.destroy();
  });

  test('[3.1.1 MQTT-3.8.4-3] subscribing again to the same filter replaces the subscription and re-sends the retained messages', async () => {
    const pub = await s.client('s-re-pub');
    pub.send(publishPacket('s/re/x', 'kept', { qos: 1, messageId: 1, retain: true }));
    assert.ok(await pub.next('puback'));
    const c = await s.client('s-re');
    await subscribed(c, 's/re/#', 0, 1);
    assert.ok(await c.until(() => c.publishes().length === 1, 2000), 'retained message on first subscribe');
    await subscribed(c, 's/re/#', 2, 2);
    assert.ok(await c.until(() => c.publishes().length === 2, 2000), 'retained message sent again');
    assert.equal(c.publishes()[1]?.retain, true);
    pub.send(publishPacket('s/re/x', 'live', { qos: 2, messageId: 2 }));
    const live = (await c.next('publish', 2000)) as IPublishPacket;
    assert.ok(live);
    c.send({ cmd: 'pubrec', messageId: live.messageId as number });
    await settled(c);
    const lives = c.publishes().filter((p) => p.payload.toString() === 'live');
    assert.deepEqual(
      lives.map((p) => p.qos),
      [2],
      'one copy, at the new QoS: the old subscription is gone',
    );
    pub.send(publishPacket('s/re/x', '', { retain: true }));
    await settled(pub);
    c.destroy();
    pub.destroy();
  });

  test('[3.1.1 MQTT-3.10.4-1] [3.1.1 MQTT-3.10.4-2] [3.1.1 MQTT-3.10.4-4] [3.1.1 MQTT-3.10.4-5] [3.1.1 MQTT-3.10.4-6] UNSUBSCRIBE removes exactly the filters named (compared character by character), always answered by UNSUBACK with the same identifier', async () => {
    const c = await s.client('s-unsub');
    await subscribed(c, 'u/+', 0, 1);
    await subscribed(c, 'u/#', 1, 2);
    // 'u/x' matches u/+ but is not the same filter: nothing is removed for it.
    c.send({ cmd: 'unsubscribe', messageId: 77, unsubscriptions: ['u/x', 'u/+', 'u/never'] });
    assert.equal(((await c.next('unsuback')) as IUnsubackPacket).messageId, 77);
    const pub = await s.client('s-unsub-pub');
    pub.send(publishPacket('u/x', 'one', { qos: 1, messageId: 1 }));
    assert.ok(await c.until(() => c.publishes().length === 1, 2000));
    assert.equal(c.publishes()[0]?.qos, 1, 'delivered through u/# only');
    c.send({ cmd: 'unsubscribe', messageId: 78, unsubscriptions: ['u/#'] });
    assert.equal(((await c.next('unsuback')) as IUnsubackPacket).messageId, 78);
    pub.send(publishPacket('u/x', 'two', { qos: 1, messageId: 2 }));
    await settled(pub);
    await settled(c);
    assert.equal(c.publishes().length, 1, 'nothing after the last filter is gone');
    c.send({ cmd: 'unsubscribe', messageId: 79, unsubscriptions: ['u/#'] });
    assert.equal(
      ((await c.next('unsuback')) as IUnsubackPacket).messageId,
      79,
      'UNSUBACK even when nothing was removed',
    );
    c.destroy();
    pub.destroy();
  });

  test('[3.1.1 MQTT-3.10.4-3] a QoS 2 message already being sent is completed after its subscription is removed', async () => {
    const c = await s.client('s-unsub-q2');
    await subscribed(c, 'u2/x', 2);
    const pub = await s.client('s-unsub-q2-pub');
    pub.send(publishPacket('u2/x', 'in flight', { qos: 2, messageId: 1 }));
    const msg = (await c.next('publish')) as IPublishPacket;
    c.send({ cmd: 'unsubscribe', messageId: 5, unsubscriptions: ['u2/x'] });
    assert.ok(await c.next('unsuback'));
    c.send({ cmd: 'pubrec', messageId: msg.messageId as number });
    assert.equal((await c.next('pubrel'))?.messageId, msg.messageId, 'PUBREL still follows');
    c.destroy();
    pub.destroy();
  });

  test('[3.1.1 MQTT-3.12.4-1] PINGREQ is answered by PINGRESP', async () => {
    const c = await s.client('s-ping');
    for (let i = 0; i < 3; i++) await settled(c);
    assert.deepEqual(
      c.received.map((p) => p.cmd),
      ['connack', 'pingresp', 'pingresp', 'pingresp'],
    );
    c.destroy();
  });

  test('[3.1.1 MQTT-3.14.1-1] a DISCONNECT with reserved bits set closes the connection as a protocol violation (the will is published)', async () => {
    const watcher = await s.client('s-disc-watch');
    await subscribed(watcher, 's/disc/will', 0);
    const c = await s.client('s-disc', {
      will: { topic: 's/disc/will', payload: Buffer.from('gone'), qos: 0, retain: false },
    });
    c.write([0xe1, 0]);
    await dropped(c, 'DISCONNECT 0xE1');
    // Not a valid DISCONNECT: the will is not discarded.
    assert.ok(await watcher.until(() => watcher.publishes().length === 1, 2000), 'will published');
    watcher.destroy();
  });
});
