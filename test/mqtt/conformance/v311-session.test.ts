import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { IConnackPacket, IPublishPacket } from 'mqtt-packet';
import { publishPacket, type RawMqtt } from '../../helpers/raw-mqtt.js';
import { startV311, subscribed, type V311 } from './v311-setup.js';

describe('MQTT 3.1.1 conformance: sessions, redelivery, ordering', () => {
  let s: V311;
  before(async () => {
    s = await startV311();
  });
  after(() => s.app.stop());

  /** Logs in with the given Clean Session flag; returns the client and its CONNACK. */
  async function login(clientId: string, clean: boolean): Promise<{ c: RawMqtt; ack: IConnackPacket }> {
    const c = await s.open();
    const ack = await c.connect(undefined, { ...s.login(clientId), clean });
    assert.equal(ack?.returnCode, 0, `CONNACK for ${clientId}`);
    return { c, ack: ack as IConnackPacket };
  }

  /** A clean DISCONNECT, waiting for the broker to close. */
  async function disconnect(c: RawMqtt): Promise<void> {
    c.send({ cmd: 'disconnect' });
    assert.ok(await c.waitClosed(), 'closed after DISCONNECT');
  }

  async function settled(c: RawMqtt): Promise<void> {
    c.send({ cmd: 'pingreq' });
    assert.ok(await c.next('pingresp'), 'PINGRESP');
  }

  test('[3.1.1 MQTT-3.1.2-4] [3.1.1 MQTT-3.1.2-5] [3.1.1 MQTT-3.2.2-2] [3.1.1 MQTT-3.2.2-3] [3.1.1 MQTT-3.1.3-2] [3.1.1 MQTT-3.1.4-3] [3.1.1 MQTT-4.1.0-1] a session with Clean Session 0 keeps its subscriptions and stores QoS 1 and 2 messages while the client is away', async () => {
    const first = await login('ss-keep', false);
    assert.equal(first.ack.sessionPresent, false, 'no session yet');
    await subscribed(first.c, 'ss/keep/#', 2);
    await disconnect(first.c);
    const pub = await s.client('ss-keep-pub');
    pub.send(publishPacket('ss/keep/a', 'q1', { qos: 1, messageId: 1 }));
    pub.send(publishPacket('ss/keep/a', 'q2', { qos: 2, messageId: 2 }));
    pub.send({ cmd: 'pubrel', messageId: 2 });
    assert.ok(await pub.next('pubcomp'));
    const again = await login('ss-keep', false);
    assert.equal(again.ack.sessionPresent, true, 'the session was kept');
    const c = again.c;
    assert.ok(await c.until(() => c.publishes().length >= 2, 2000), 'stored messages arrive');
    assert.deepEqual(
      c.publishes().map((p) => [p.payload.toString(), p.qos]),
      [
        ['q1', 1],
        ['q2', 2],
      ],
    );
    // The subscription itself came back with the session.
    pub.send(publishPacket('ss/keep/b', 'live', { qos: 1, messageId: 3 }));
    assert.ok(await c.until(() => c.publishes().length === 3, 2000), 'the subscription still works');
    for (const p of c.publishes()) {
      if (p.qos === 1) c.send({ cmd: 'puback', messageId: p.messageId as number });
      if (p.qos === 2) c.send({ cmd: 'pubrec', messageId: p.messageId as number });
    }
    await disconnect(c);
    pub.destroy();
  });

  test('[3.1.1 MQTT-3.1.2-6] [3.1.1 MQTT-3.2.2-1] [3.1.1 MQTT-4.1.0-2] Clean Session 1 discards the stored session and its own state does not outlive the connection', async () => {
    const first = await login('ss-clean', false);
    await subscribed(first.c, 'ss/clean', 1);
    await disconnect(first.c);
    const pub = await s.client('ss-clean-pub');
    pub.send(publishPacket('ss/clean', 'stored', { qos: 1, messageId: 1 }));
    assert.ok(await pub.next('puback'));
    const clean = await login('ss-clean', true);
    assert.equal(clean.ack.sessionPresent, false);
    await subscribed(clean.c, 'ss/clean/live', 0);
    pub.send(publishPacket('ss/clean', 'old subscription', { qos: 1, messageId: 2 }));
    pub.send(publishPacket('ss/clean/live', 'for the clean session'));
    // The session lasts as long as the connection: its subscription works while connected.
    assert.ok(await clean.c.until(() => clean.c.publishes().length === 1, 2000));
    await settled(pub);
    await settled(clean.c);
    assert.deepEqual(
      clean.c.publishes().map((p) => p.payload.toString()),
      ['for the clean session'],
      'neither the stored message nor the old subscription survived',
    );
    await disconnect(clean.c);
    const later = await login('ss-clean', false);
    assert.equal(later.ack.sessionPresent, false, 'the clean session was not kept');
    pub.send(publishPacket('ss/clean/live', 'after', { qos: 1, messageId: 3 }));
    await settled(pub);
    await settled(later.c);
    assert.deepEqual(later.c.publishes(), []);
    // Leave no persistent session behind.
    await disconnect(later.c);
    await disconnect((await login('ss-clean', true)).c);
    pub.destroy();
  });

  test('[3.1.1 MQTT-4.4.0-1] [3.1.1 MQTT-3.3.1-1] [3.1.1 MQTT-4.6.0-1] [3.1.1 MQTT-4.3.3-1] on reconnection unacknowledged PUBLISHes are resent in order with their identifiers and DUP 1, and a PUBREL (not the PUBLISH) once PUBREC came', async () => {
    const first = await login('ss-resend', false);
    await subscribed(first.c, 'ss/resend', 2);
    const pub = await s.client('ss-resend-pub');
    pub.send(publishPacket('ss/resend', 'q2', { qos: 2, messageId: 9 }));
    pub.send({ cmd: 'pubrel', messageId: 9 });
    for (let i = 1; i <= 3; i++) pub.send(publishPacket('ss/resend', `q1-${i}`, { qos: 1, messageId: i }));
    const c1 = first.c;
    assert.ok(await c1.until(() => c1.publishes().length === 4, 2000));
    const sent = c1.publishes();
    const q2 = sent[0] as IPublishPacket;
    c1.send({ cmd: 'pubrec', messageId: q2.messageId as number });
    assert.equal((await c1.next('pubrel'))?.messageId, q2.messageId);
    c1.destroy(); // no PUBACK, no PUBCOMP
    const again = await login('ss-resend', false);
    assert.equal(again.ack.sessionPresent, true);
    const c2 = again.c;
    assert.ok(
      await c2.until(() => c2.publishes().length === 3 && c2.received.some((p) => p.cmd === 'pubrel'), 2000),
    );
    const resent = c2.publishes();
    assert.deepEqual(
      resent.map((p) => [p.payload.toString(), p.messageId, p.dup]),
      sent.slice(1).map((p) => [p.payload.toString(), p.messageId, true]),
    );
    const rel = c2.received.find((p) => p.cmd === 'pubrel');
    assert.equal(
      (rel as { messageId?: number }).messageId,
      q2.messageId,
      'PUBREL resent with the QoS 2 identifier',
    );
    assert.ok(!resent.some((p) => p.qos === 2), 'the QoS 2 PUBLISH is not sent again after PUBREL');
    for (const p of resent) c2.send({ cmd: 'puback', messageId: p.messageId as number });
    c2.send({ cmd: 'pubcomp', messageId: q2.messageId as number });
    await disconnect(c2);
    await disconnect((await login('ss-resend', true)).c);
    pub.destroy();
  });

  test('[3.1.1 MQTT-4.3.3-2] [3.1.1 MQTT-4.1.0-1] a QoS 2 PUBLISH resent after reconnection, before PUBREL, is acknowledged and not delivered twice', async () => {
    const sub = await s.client('ss-q2in-sub');
    await subscribed(sub, 'ss/q2in', 2);
    const first = await login('ss-q2in', false);
    first.c.send(publishPacket('ss/q2in', 'once', { qos: 2, messageId: 12 }));
    assert.equal((await first.c.next('pubrec'))?.messageId, 12);
    first.c.destroy();
    const again = await login('ss-q2in', false);
    again.c.send(publishPacket('ss/q2in', 'once', { qos: 2, messageId: 12, dup: true }));
    assert.equal((await again.c.next('pubrec'))?.messageId, 12);
    again.c.send({ cmd: 'pubrel', messageId: 12 });
    assert.equal((await again.c.next('pubcomp'))?.messageId, 12);
    await settled(sub);
    assert.deepEqual(
      sub.publishes().map((p) => p.payload.toString()),
      ['once'],
    );
    await disconnect(again.c);
    await disconnect((await login('ss-q2in', true)).c);
    sub.destroy();
  });

  test('[3.1.1 MQTT-3.1.2-7] retained messages are not session state: they outlive the session that published them', async () => {
    const pub = await login('ss-retain-pub', true);
    pub.c.send(publishPacket('ss/retain', 'still here', { qos: 1, messageId: 1, retain: true }));
    assert.ok(await pub.c.next('puback'));
    await disconnect(pub.c);
    const sub = await s.client('ss-retain-sub');
    await subscribed(sub, 'ss/retain', 1);
    const got = (await sub.next('publish')) as IPublishPacket;
    assert.equal(got.payload.toString(), 'still here');
    sub.send({ cmd: 'puback', messageId: got.messageId as number });
    sub.send(publishPacket('ss/retain', '', { retain: true }));
    await settled(sub);
    sub.destroy();
  });
});
