import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { IConnectPacket, IPublishPacket } from 'mqtt-packet';
import { run } from '../../helpers/mqtt-extra.js';
import { publishPacket, type RawMqtt } from '../../helpers/raw-mqtt.js';
import { startV311, subscribed, type V311 } from './v311-setup.js';

const SUB = '/usr/bin/mosquitto_sub';
const PUB = '/usr/bin/mosquitto_pub';

describe('MQTT 3.1.1 conformance: will messages and retained messages', () => {
  let s: V311;
  before(async () => {
    s = await startV311();
  });
  after(() => s.app.stop());

  async function settled(c: RawMqtt): Promise<void> {
    c.send({ cmd: 'pingreq' });
    assert.ok(await c.next('pingresp'), 'PINGRESP');
  }

  const will = (topic: string, retain = false, qos: 0 | 1 | 2 = 1): Partial<IConnectPacket> => ({
    will: { topic, payload: Buffer.from(`will of ${topic}`), qos, retain },
  });

  /** A connected subscriber to `filter` at QoS 2. */
  async function watch(id: string, filter: string): Promise<RawMqtt> {
    const w = await s.client(id);
    await subscribed(w, filter, 2);
    return w;
  }

  test('[3.1.1 MQTT-3.1.2-8] [3.1.1 MQTT-3.1.2-16] the will is published when the connection ends without DISCONNECT, as a non-retained message when Will Retain is 0', async () => {
    const w = await watch('wr-w1', 'wr/will1');
    const c = await s.client('wr-c1', will('wr/will1'));
    c.destroy();
    const got = (await w.next('publish')) as IPublishPacket;
    assert.equal(got.payload.toString(), 'will of wr/will1');
    assert.equal(got.qos, 1);
    assert.equal(got.retain, false);
    w.send({ cmd: 'puback', messageId: got.messageId as number });
    const late = await s.client('wr-w1-late');
    await subscribed(late, 'wr/will1', 0);
    await settled(late);
    assert.deepEqual(late.publishes(), [], 'not retained');
    w.destroy();
    late.destroy();
  });

  test('[3.1.1 MQTT-3.1.2-8] [3.1.1 MQTT-3.1.2-24] the will is also published when the server closes a silent connection', async () => {
    const w = await watch('wr-w-ka', 'wr/will-ka');
    await s.client('wr-c-ka', { keepalive: 1, ...will('wr/will-ka', false, 0) });
    const got = (await w.next('publish', 4000)) as IPublishPacket | undefined;
    assert.equal(got?.payload.toString(), 'will of wr/will-ka');
    w.destroy();
  });

  test('[3.1.1 MQTT-3.1.2-17] with Will Retain 1 the will is published as a retained message', async () => {
    const c = await s.client('wr-c2', will('wr/will2', true));
    c.destroy();
    const w = await s.client('wr-w2');
    await subscribed(w, 'wr/will2', 1);
    const got = (await w.next('publish')) as IPublishPacket;
    assert.equal(got.payload.toString(), 'will of wr/will2');
    assert.equal(got.retain, true);
    w.send({ cmd: 'puback', messageId: got.messageId as number });
    w.send(publishPacket('wr/will2', '', { retain: true }));
    await settled(w);
    w.destroy();
  });

  test('[3.1.1 MQTT-3.1.2-10] [3.1.1 MQTT-3.14.4-3] [3.1.1 MQTT-3.1.2-12] no will after DISCONNECT, none without the Will Flag, and a published will is not published again', async () => {
    const w = await watch('wr-w3', 'wr/will3/#');
    const polite = await s.client('wr-c3a', will('wr/will3/a'));
    polite.send({ cmd: 'disconnect' });
    assert.ok(await polite.waitClosed());
    const none = await s.client('wr-c3b');
    none.destroy();
    // A persistent session: its will goes out once; the next connection of that session has none.
    const once = await s.client('wr-c3c', { clean: false, ...will('wr/will3/c', false, 0) });
    once.destroy();
    assert.ok(await w.until(() => w.publishes().length === 1, 2000), 'the will of the dropped connection');
    const back = await s.client('wr-c3c', { clean: false });
    back.destroy();
    const closedTwice = await s.client('wr-c3d');
    closedTwice.destroy();
    await settled(w);
    assert.deepEqual(
      w.publishes().map((p) => p.topic),
      ['wr/will3/c'],
    );
    const cleanUp = await s.client('wr-c3c', { clean: true });
    cleanUp.send({ cmd: 'disconnect' });
    w.destroy();
  });

  test('[3.1.1 MQTT-3.3.1-5] [3.1.1 MQTT-3.3.1-6] [3.1.1 MQTT-3.3.1-8] [3.1.1 MQTT-3.3.1-9] a retained message is stored with its QoS, sent with RETAIN 1 to new subscriptions and with RETAIN 0 to existing ones', async () => {
    const live = await watch('wr-r1-live', 'wr/r1/#');
    const pub = await s.client('wr-r1-pub');
    pub.send(publishPacket('wr/r1/a', 'kept at qos 1', { qos: 1, messageId: 1, retain: true }));
    pub.send(publishPacket('wr/r1/b', 'kept at qos 2', { qos: 2, messageId: 2, retain: true }));
    pub.send({ cmd: 'pubrel', messageId: 2 });
    assert.ok(await pub.next('pubcomp'));
    assert.ok(await live.until(() => live.publishes().length === 2, 2000));
    assert.ok(
      live.publishes().every((p) => p.retain === false),
      'established subscription: RETAIN 0',
    );
    const late = await s.client('wr-r1-late');
    await subscribed(late, 'wr/r1/#', 2);
    assert.ok(await late.until(() => late.publishes().length === 2, 2000));
    assert.deepEqual(
      late
        .publishes()
        .map((p) => [p.topic, p.qos, p.retain])
        .sort(),
      [
        ['wr/r1/a', 1, true],
        ['wr/r1/b', 2, true],
      ],
    );
    for (const t of ['wr/r1/a', 'wr/r1/b']) pub.send(publishPacket(t, '', { retain: true }));
    await settled(pub);
    for (const c of [live, late, pub]) c.destroy();
  });

  test('[3.1.1 MQTT-3.3.1-7] [3.1.1 MQTT-3.3.1-12] a retained QoS 0 message replaces the previous one; a non-retained message neither stores nor replaces', async () => {
    const pub = await s.client('wr-r2-pub');
    pub.send(publishPacket('wr/r2', 'first', { qos: 1, messageId: 1, retain: true }));
    assert.ok(await pub.next('puback'));
    pub.send(publishPacket('wr/r2', 'second at qos 0', { retain: true }));
    pub.send(publishPacket('wr/r2', 'not retained', { qos: 1, messageId: 2 }));
    pub.send(publishPacket('wr/r2/other', 'not retained either', { qos: 1, messageId: 3 }));
    assert.ok(await pub.until(() => pub.received.filter((p) => p.cmd === 'puback').length === 3, 2000));
    const sub = await s.client('wr-r2-sub');
    await subscribed(sub, 'wr/r2/#', 1);
    await settled(sub);
    assert.deepEqual(
      sub.publishes().map((p) => [p.payload.toString(), p.qos]),
      [['second at qos 0', 0]],
    );
    pub.send(publishPacket('wr/r2', '', { retain: true }));
    await settled(pub);
    sub.destroy();
    pub.destroy();
  });

  test('[3.1.1 MQTT-3.3.1-10] [3.1.1 MQTT-3.3.1-11] a zero-byte retained message is delivered as normal and removes the retained message; it is not stored itself', async () => {
    const pub = await s.client('wr-r3-pub');
    pub.send(publishPacket('wr/r3', 'to be cleared', { qos: 1, messageId: 1, retain: true }));
    assert.ok(await pub.next('puback'));
    const live = await s.client('wr-r3-live');
    await subscribed(live, 'wr/r3', 0);
    assert.ok(await live.until(() => live.publishes().length === 1, 2000), 'the retained message first');
    pub.send(publishPacket('wr/r3', '', { retain: true }));
    assert.ok(await live.until(() => live.publishes().length === 2, 2000), 'the empty message is delivered');
    const empty = live.publishes()[1] as IPublishPacket;
    assert.equal(empty.payload.length, 0);
    assert.equal(empty.retain, false);
    const late = await s.client('wr-r3-late');
    await subscribed(late, 'wr/r3', 0);
    await settled(late);
    assert.deepEqual(late.publishes(), [], 'nothing retained any more, not even the empty message');
    for (const c of [live, late, pub]) c.destroy();
  });

  test('[3.1.1 MQTT-3.3.1-5] [3.1.1 MQTT-3.3.1-6] [3.1.1 MQTT-7.0.0-2] stock clients need no extension: mosquitto_pub -r leaves a retained message that mosquitto_sub -V mqttv311 receives with its QoS', async () => {
    const common = [
      '-h',
      '127.0.0.1',
      '-p',
      String(s.app.mqttPort),
      '-V',
      'mqttv311',
      '-u',
      'apikey',
      '-P',
      s.key,
    ];
    const put = await run(PUB, [
      ...common,
      '-i',
      'wr-mosq-pub',
      '-t',
      'wr/mosq',
      '-m',
      'from mosquitto',
      '-q',
      '1',
      '-r',
    ]).done;
    assert.equal(put.code, 0, put.stderr);
    const got = await run(SUB, [
      ...common,
      '-i',
      'wr-mosq-sub',
      '-t',
      'wr/mosq',
      '-q',
      '2',
      '-C',
      '1',
      '-W',
      '5',
      '-F',
      '%t|%q|%r|%p',
    ]).done;
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.stdout.trim(), 'wr/mosq|1|1|from mosquitto');
    const clear = await run(PUB, [...common, '-i', 'wr-mosq-pub', '-t', 'wr/mosq', '-n', '-r']).done;
    assert.equal(clear.code, 0, clear.stderr);
  });
});
