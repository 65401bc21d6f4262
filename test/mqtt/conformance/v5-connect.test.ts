/**
 * MQTT 5.0 conformance: CONNECT, CONNACK, sessions, wills and keep-alive
 * (spec §3.1, §3.2, §4.1, §4.12), over real sockets with raw packets.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { IConnackPacket, IDisconnectPacket, IPubackPacket } from 'mqtt-packet';
import { createDevice } from '../../helpers/mqtt.js';
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

/** A CONNECT built byte by byte, for fields a library would not let us get wrong. */
function connectBytes(o: {
  name?: string;
  level?: number;
  flags: number;
  clientId?: Buffer | null;
  will?: { topic: Buffer | string; payload?: string } | null;
  username?: Buffer | string;
  password?: string;
  props?: number[];
}): Buffer {
  const parts: Buffer[] = [
    str(o.name ?? 'MQTT'),
    Buffer.from([o.level ?? 5, o.flags, 0, 60]),
    Buffer.from(o.props ?? [0]),
  ];
  if (o.clientId !== null) parts.push(str(o.clientId ?? Buffer.from('')));
  if (o.will) parts.push(Buffer.from([0]), str(o.will.topic as string), str(o.will.payload ?? 'w'));
  if (o.username !== undefined) parts.push(str(o.username as string));
  if (o.password !== undefined) parts.push(str(o.password));
  return frame(0x10, ...parts);
}

const USER = 0x80;
const PASS = 0x40;
const CLEAN = 0x02;

describe('MQTT 5.0 conformance: CONNECT and sessions', () => {
  let env: V5Env;
  before(async () => {
    env = await startV5({ PLEXUS_MQTT_MAX_AUTH_FAILURES: '1000' });
  });
  after(() => env.stop());

  /**
   * Sends bytes on a fresh connection and expects the close, with no CONNACK
   * or one saying malformed or protocol error (not, say, a failed login: the
   * packet itself must be what is refused).
   */
  async function refused(bytes: Buffer): Promise<RawMqtt> {
    const c = await env.open();
    c.write(bytes);
    assert.ok(await c.waitClosed(), 'the broker did not close the connection');
    const ack = c.received.find((p): p is IConnackPacket => p.cmd === 'connack');
    assert.ok(!ack || ack.reasonCode === 0x81 || ack.reasonCode === 0x82, `CONNACK ${JSON.stringify(ack)}`);
    return c;
  }
  const auth = (flags = 0) => ({ flags: USER | PASS | CLEAN | flags, username: 'apikey', password: env.key });

  test('[5.0 MQTT-3.1.0-1] [5.0 MQTT-3.14.0-1] a first packet other than CONNECT closes the connection, with no DISCONNECT', async () => {
    const c = await env.open();
    c.send(publishPacket('a/b', 'x'));
    assert.ok(await c.waitClosed());
    assert.deepEqual(c.received, [], 'nothing may be sent before a successful CONNACK');
  });

  test('[5.0 MQTT-3.1.0-2] [5.0 MQTT-3.2.0-2] a second CONNECT is a protocol error: DISCONNECT 0x82, no second CONNACK, close', async () => {
    const c = await env.login();
    c.send(env.connectOf());
    const r = await c.dropped();
    assert.deepEqual(r, { closed: true, reasonCode: RC.PROTOCOL_ERROR });
    assert.equal(c.received.filter((p) => p.cmd === 'connack').length, 1);
  });

  test('[5.0 MQTT-3.1.2-1] a protocol name other than "MQTT" is refused and the connection closed', async () => {
    await refused(connectBytes({ ...auth(), name: 'MQTX', clientId: Buffer.from(env.id()) }));
  });

  test('[5.0 MQTT-3.1.2-2] an unsupported protocol version gets an "unsupported version" CONNACK and the connection is closed', async () => {
    const c = await env.open();
    const bytes = tap(c);
    c.write(connectBytes({ ...auth(), level: 6, clientId: Buffer.from(env.id()) }));
    assert.ok(await c.waitClosed());
    const f = frames(bytes);
    assert.equal(f.length, 1);
    // The 3.1.1 form (return code 1) every client version can read, or the MQTT 5 one (0x84).
    assert.equal(f[0]?.first, 0x20);
    assert.ok([1, 0x84].includes(f[0]?.body[1] as number), `code ${f[0]?.body[1]}`);
  });

  test('[5.0 MQTT-3.1.2-3] [5.0 MQTT-3.1.4-1] [5.0 MQTT-4.13.1-1] a CONNECT with the reserved flag set is malformed: the connection is closed', async () => {
    await refused(connectBytes({ ...auth(0x01), clientId: Buffer.from(env.id()) }));
  });

  test('[5.0 MQTT-3.1.2-9] a Will Flag without will properties, topic and payload is malformed', async () => {
    // Flags say will, but the payload ends after the client id: the user name is read as will properties.
    await refused(connectBytes({ flags: 0x04 | CLEAN, clientId: Buffer.from(env.id()) }));
  });

  test('[5.0 MQTT-3.1.2-11] [5.0 MQTT-3.1.2-13] with Will Flag 0, Will QoS and Will Retain must be 0', async () => {
    await refused(connectBytes({ ...auth(0x08), clientId: Buffer.from(env.id()) })); // will QoS 1
    await refused(connectBytes({ ...auth(0x20), clientId: Buffer.from(env.id()) })); // will retain
  });

  test('[5.0 MQTT-3.1.2-12] a Will QoS of 3 is malformed', async () => {
    await refused(
      connectBytes({ ...auth(0x04 | 0x18), clientId: Buffer.from(env.id()), will: { topic: 'w/q3' } }),
    );
  });

  test('[5.0 MQTT-3.1.2-16] [5.0 MQTT-3.1.2-17] [5.0 MQTT-3.1.2-18] [5.0 MQTT-3.1.2-19] the User Name and Password flags must match the payload', async () => {
    const id = () => Buffer.from(env.id());
    // User Name flag 1 but no user name; Password flag 1 but no password.
    await refused(connectBytes({ flags: USER | CLEAN, clientId: id() }));
    await refused(connectBytes({ flags: USER | PASS | CLEAN, clientId: id(), username: 'apikey' }));
    // Flags 0 but the fields are there: trailing bytes make the packet malformed.
    await refused(
      connectBytes({ flags: PASS | CLEAN, clientId: id(), username: 'apikey', password: env.key }),
    );
    await refused(
      connectBytes({ flags: USER | CLEAN, clientId: id(), username: 'apikey', password: env.key }),
    );
  });

  test('[5.0 MQTT-3.1.3-3] [5.0 MQTT-3.1.3-4] the Client Identifier must be present and valid UTF-8', async () => {
    await refused(connectBytes({ flags: CLEAN, clientId: null }));
    await refused(connectBytes({ ...auth(), clientId: Buffer.from([0x61, 0xed, 0xa0, 0x80]) })); // a surrogate
    await refused(connectBytes({ ...auth(), clientId: Buffer.from([0x61, 0xff]) }));
  });

  test('[5.0 MQTT-3.1.3-11] [5.0 MQTT-3.1.3-12] the Will Topic and the User Name must be valid UTF-8', async () => {
    const bad = Buffer.from([0x77, 0x2f, 0xc3, 0x28]);
    await refused(connectBytes({ ...auth(0x04), clientId: Buffer.from(env.id()), will: { topic: bad } }));
    await refused(
      connectBytes({
        flags: USER | PASS | CLEAN,
        clientId: Buffer.from(env.id()),
        username: bad,
        password: 'x',
      }),
    );
  });

  test('[5.0 MQTT-3.1.3-5] [5.0 MQTT-3.1.4-5] [5.0 MQTT-3.2.0-1] [5.0 MQTT-3.2.2-1] [5.0 MQTT-4.2.0-1] a 23-character client id is accepted over TCP: CONNACK 0x00 comes first, acknowledge flags 7-1 are 0', async () => {
    const c = await env.open();
    const bytes = tap(c);
    c.send(env.connectOf({ clientId: 'Az09Az09Az09Az09Az09Az0' }));
    const ack = await expect<IConnackPacket>(c, 'connack');
    assert.equal(ack.reasonCode, 0);
    const first = frames(bytes)[0];
    assert.equal(first?.first, 0x20, 'CONNACK is the first packet');
    assert.equal((first?.body[0] as number) & 0xfe, 0, 'acknowledge flags bits 7-1');
    c.destroy();
  });

  test('[5.0 MQTT-3.1.3-6] [5.0 MQTT-3.1.3-7] [5.0 MQTT-3.2.2-16] a zero-length client id gets a new, unique Assigned Client Identifier', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const c = await env.open();
      c.send(env.connectOf({ clientId: '' }));
      const ack = await expect<IConnackPacket>(c, 'connack');
      assert.equal(ack.reasonCode, 0);
      const assigned = ack.properties?.assignedClientIdentifier;
      assert.ok(assigned, 'Assigned Client Identifier');
      ids.push(assigned);
      c.destroy();
    }
    assert.notEqual(ids[0], ids[1]);
    // The assigned id is the session's: reconnecting with it finds the session.
    const c1 = await env.login({
      clientId: ids[0] as string,
      clean: true,
      properties: { sessionExpiryInterval: 60 },
    });
    c1.send({ cmd: 'disconnect', reasonCode: 0 });
    await c1.waitClosed();
    const c2 = await env.open();
    c2.send(
      env.connectOf({ clientId: ids[0] as string, clean: false, properties: { sessionExpiryInterval: 60 } }),
    );
    assert.equal((await expect<IConnackPacket>(c2, 'connack')).sessionPresent, true);
    c2.destroy();
  });

  test('[5.0 MQTT-3.1.3-8] [5.0 MQTT-3.2.2-6] [5.0 MQTT-3.2.2-7] [5.0 MQTT-3.2.2-8] [5.0 MQTT-4.13.2-1] a rejected client id gets CONNACK 0x85 with Session Present 0, then the close', async () => {
    const dev = await createDevice(env.api);
    const c = await env.open();
    c.send(
      env.connectOf({ clientId: 'not-the-device-id', username: dev.id, password: Buffer.from(dev.secret) }),
    );
    const ack = await expect<IConnackPacket>(c, 'connack');
    assert.equal(ack.reasonCode, 0x85);
    assert.equal(ack.sessionPresent, false);
    assert.ok(REASON_CODES.connack.includes(ack.reasonCode as never));
    assert.ok(await c.waitClosed());
  });

  test('[5.0 MQTT-3.1.4-2] a failed authentication is refused (CONNACK 0x86) and closed', async () => {
    const c = await env.open();
    c.send(env.connectOf({ password: Buffer.from('wrong') }));
    const ack = await expect<IConnackPacket>(c, 'connack');
    assert.equal(ack.reasonCode, 0x86);
    assert.equal(ack.sessionPresent, false);
    assert.ok(await c.waitClosed());
  });

  test('[5.0 MQTT-3.1.4-6] after a refused CONNECT nothing else the client sent is processed', async () => {
    const watcher = await env.login();
    await sub(watcher, [{ topic: 'refused/#', qos: 0 }]);
    const c = await env.open();
    c.write(
      Buffer.concat([
        frame(
          0x10,
          ...[str('MQTT'), Buffer.from([5, USER | PASS | CLEAN, 0, 60, 0]), str(env.id())],
          str('apikey'),
          str('bad'),
        ),
        frame(0x30, str('refused/x'), Buffer.from([0]), Buffer.from('sneaky')),
      ]),
    );
    assert.ok(await c.waitClosed());
    assert.ok(await noMorePublishes(watcher, 0, 400), 'a PUBLISH after a refused CONNECT was routed');
    watcher.destroy();
  });

  test('[5.0 MQTT-3.1.4-3] a CONNECT with the client id of a connected client takes over: the old one gets DISCONNECT 0x8E and is closed', async () => {
    const id = env.id();
    const old = await env.login({ clientId: id });
    const fresh = await env.login({ clientId: id });
    const r = await old.dropped();
    assert.deepEqual(r, { closed: true, reasonCode: RC.SESSION_TAKEN_OVER });
    assert.equal(fresh.closed, false);
    fresh.destroy();
  });

  test('[5.0 MQTT-3.1.2-4] [5.0 MQTT-3.2.2-2] Clean Start 1 discards the existing session: Session Present 0, subscriptions gone', async () => {
    const id = env.id();
    const a = await env.login({ clientId: id, properties: { sessionExpiryInterval: 60 } });
    await sub(a, [{ topic: 'clean/x', qos: 1 }]);
    a.send({ cmd: 'disconnect', reasonCode: 0 });
    await a.waitClosed();
    const b = await env.open();
    b.send(env.connectOf({ clientId: id, clean: true, properties: { sessionExpiryInterval: 60 } }));
    assert.equal((await expect<IConnackPacket>(b, 'connack')).sessionPresent, false);
    const p = await env.login();
    p.send(publishPacket('clean/x', 'old-sub', { qos: 1, messageId: 1 }));
    await expect(p, 'puback');
    assert.ok(await noMorePublishes(b, 0), 'the old subscription survived Clean Start');
    b.destroy();
    p.destroy();
  });

  test('[5.0 MQTT-3.1.2-5] [5.0 MQTT-3.1.2-6] [5.0 MQTT-3.1.2-23] [5.0 MQTT-3.2.2-3] [5.0 MQTT-3.1.3-2] [5.0 MQTT-3.1.4-4] [5.0 MQTT-4.5.0-1] Clean Start 0 resumes the session of that client id (with what arrived meanwhile), or creates one', async () => {
    const id = env.id();
    const a = await env.open();
    a.send(env.connectOf({ clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } }));
    assert.equal((await expect<IConnackPacket>(a, 'connack')).sessionPresent, false, 'no session yet');
    await sub(a, [{ topic: 'resume/x', qos: 1 }]);
    a.send({ cmd: 'disconnect', reasonCode: 0 });
    await a.waitClosed();
    const p = await env.login();
    p.send(publishPacket('resume/x', 'while-away', { qos: 1, messageId: 1 }));
    await expect(p, 'puback');
    const b = await env.open();
    b.send(env.connectOf({ clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } }));
    assert.equal((await expect<IConnackPacket>(b, 'connack')).sessionPresent, true);
    const [m] = await publishesOf(b, 1);
    assert.equal(m?.payload.toString(), 'while-away');
    b.destroy();
    p.destroy();
  });

  test('[5.0 MQTT-4.1.0-1] [5.0 MQTT-4.1.0-2] the session lives while connected, and is discarded once the Session Expiry Interval has passed after the close', async () => {
    const id = env.id();
    const a = await env.login({ clientId: id, clean: false, properties: { sessionExpiryInterval: 1 } });
    await sub(a, [{ topic: 'expiry/x', qos: 1 }]);
    await new Promise((r) => setTimeout(r, 1300)); // longer than the interval, while connected
    const p = await env.login();
    p.send(publishPacket('expiry/x', 'still-here', { qos: 1, messageId: 1 }));
    assert.equal((await publishesOf(a, 1))[0]?.payload.toString(), 'still-here');
    a.send({ cmd: 'disconnect', reasonCode: 0 });
    await a.waitClosed();
    await new Promise((r) => setTimeout(r, 1600));
    const b = await env.open();
    b.send(env.connectOf({ clientId: id, clean: false, properties: { sessionExpiryInterval: 1 } }));
    assert.equal(
      (await expect<IConnackPacket>(b, 'connack')).sessionPresent,
      false,
      'expired session resumed',
    );
    b.destroy();
    p.destroy();
  });

  test('[5.0 MQTT-3.1.2-7] [5.0 MQTT-3.1.2-8] [5.0 MQTT-3.1.2-14] [5.0 MQTT-3.1.3-1] [5.0 MQTT-3.1.3-10] a will is kept with the session and published, not retained, with its user properties in order, when the connection drops', async () => {
    const w = await env.login();
    await sub(w, [{ topic: 'will/plain', qos: 1 }]);
    const userProperties = { z: 'first', a: ['second', 'third'] };
    const c = await env.login({
      will: {
        topic: 'will/plain',
        payload: Buffer.from('gone'),
        qos: 1,
        retain: false,
        properties: { userProperties },
      },
    });
    c.destroy();
    const [m] = await publishesOf(w, 1);
    assert.equal(m?.payload.toString(), 'gone');
    assert.equal(m?.retain, false);
    assert.equal(JSON.stringify(m?.properties?.userProperties), JSON.stringify(userProperties), 'order kept');
    // Not retained: a later subscriber gets nothing.
    const late = await env.login();
    await sub(late, [{ topic: 'will/plain', qos: 1 }]);
    assert.ok(await noMorePublishes(late, 0));
    w.destroy();
    late.destroy();
  });

  test('[5.0 MQTT-3.1.2-15] a will with Will Retain 1 is published as a retained message', async () => {
    const c = await env.login({
      will: { topic: 'will/retained', payload: Buffer.from('kept'), qos: 0, retain: true },
    });
    c.destroy();
    const late = await env.login();
    let got = false;
    for (let i = 0; i < 20 && !got; i++) {
      await sub(late, [{ topic: 'will/retained', qos: 0 }]);
      got = await late.until(() => late.publishes().length > 0, 100);
    }
    const m = late.publishes()[0];
    assert.equal(m?.payload.toString(), 'kept');
    assert.equal(m?.retain, true);
    late.destroy();
  });

  test('[5.0 MQTT-3.1.2-10] [5.0 MQTT-3.14.4-3] DISCONNECT 0x00 removes the will without publishing it', async () => {
    const w = await env.login();
    await sub(w, [{ topic: 'will/normal', qos: 1 }]);
    const c = await env.login({
      will: { topic: 'will/normal', payload: Buffer.from('no'), qos: 1, retain: false },
    });
    c.send({ cmd: 'disconnect', reasonCode: 0 });
    await c.waitClosed();
    assert.ok(await noMorePublishes(w, 0, 500), 'the will was published after DISCONNECT 0x00');
    w.destroy();
  });

  test('[5.0 MQTT-3.1.3-9] a will is not sent when the session reconnects within the Will Delay Interval', async () => {
    const w = await env.login();
    await sub(w, [{ topic: 'will/delayed', qos: 1 }]);
    const id = env.id();
    const will = {
      topic: 'will/delayed',
      payload: Buffer.from('late'),
      qos: 1 as const,
      retain: false,
      properties: { willDelayInterval: 2 },
    };
    const c = await env.login({
      clientId: id,
      clean: false,
      properties: { sessionExpiryInterval: 60 },
      will,
    });
    c.destroy();
    await c.waitClosed();
    const again = await env.login({ clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } });
    assert.ok(await noMorePublishes(w, 0, 2500), 'the will was sent although the client came back');
    again.destroy();
    w.destroy();
  });

  test('[5.0 MQTT-3.1.2-22] [5.0 MQTT-3.2.2-22] without Server Keep Alive the client value is used: silence for 1.5 x Keep Alive closes the connection (DISCONNECT 0x8D)', async () => {
    const c = await env.open();
    const start = Date.now();
    c.send(env.connectOf({ keepalive: 1 }));
    const ack = await expect<IConnackPacket>(c, 'connack');
    assert.equal(ack.properties?.serverKeepAlive, undefined);
    const r = await c.dropped(4000);
    assert.ok(r.closed, 'not closed');
    assert.ok(Date.now() - start >= 1500, `closed after ${Date.now() - start} ms`);
    assert.equal(r.reasonCode, 0x8d);
  });

  test('[5.0 MQTT-3.1.2-28] [5.0 MQTT-4.12.0-6] Request Response Information 0: no Response Information; no Authentication Method or AUTH unless the client sent one', async () => {
    const c = await env.open();
    c.send(env.connectOf({ properties: { requestResponseInformation: false } }));
    const ack = await expect<IConnackPacket>(c, 'connack');
    assert.equal(ack.properties?.responseInformation, undefined);
    assert.equal(ack.properties?.authenticationMethod, undefined);
    c.send({ cmd: 'pingreq' });
    await expect(c, 'pingresp');
    assert.ok(!c.received.some((p) => p.cmd === 'auth'));
    c.destroy();
  });

  test('[5.0 MQTT-3.1.2-29] Request Problem Information 0: no Reason String or User Property on SUBACK or PUBACK', async () => {
    for (const problemInfo of [true, false]) {
      const c = await env.login({ properties: { requestProblemInformation: problemInfo } });
      c.send({ cmd: 'subscribe', messageId: 5, subscriptions: [{ topic: 'a/#/b', qos: 0 }] });
      const ack = await expect<{ cmd: 'suback'; granted: number[]; properties?: Record<string, unknown> }>(
        c,
        'suback',
      );
      assert.deepEqual(ack.granted, [RC.TOPIC_FILTER_INVALID]);
      c.send(
        publishPacket('pi/x', 'y', { qos: 1, messageId: 6, properties: { payloadFormatIndicator: true } }),
      );
      c.send(
        publishPacket('pi/x', Buffer.from([0xff]), {
          qos: 1,
          messageId: 7,
          properties: { payloadFormatIndicator: true },
        }),
      );
      await expect(c, 'puback');
      const bad = await expect<IPubackPacket>(c, 'puback');
      assert.equal(bad.reasonCode, 0x99);
      if (problemInfo) assert.ok(ack.properties?.reasonString, 'a reason string when asked for');
      else {
        assert.equal(ack.properties?.reasonString, undefined);
        assert.equal(ack.properties?.userProperties, undefined);
        assert.equal(bad.properties?.reasonString, undefined);
        assert.equal(bad.properties?.userProperties, undefined);
      }
      c.destroy();
    }
  });

  test("[5.0 MQTT-3.2.2-19] [5.0 MQTT-3.2.2-20] a refusing CONNACK leaves out its Reason String when it would exceed the client's Maximum Packet Size", async () => {
    const c = await env.open();
    const bytes = tap(c);
    c.send(env.connectOf({ password: Buffer.from('wrong'), properties: { maximumPacketSize: 16 } }));
    const ack = await expect<IConnackPacket>(c, 'connack');
    assert.equal(ack.reasonCode, 0x86);
    assert.equal(ack.properties?.reasonString, undefined);
    assert.equal(ack.properties?.userProperties, undefined);
    assert.ok(await c.waitClosed());
    const f = frames(bytes)[0];
    assert.ok(f && f.body.length + 2 <= 16, 'CONNACK larger than the client allows');
  });

  test('[5.0 MQTT-3.1.4-5] [5.0 MQTT-3.1.2-24] a client with a small Maximum Packet Size (20) still gets its CONNACK, within that size', async () => {
    const c = await env.open();
    const bytes = tap(c);
    c.send(env.connectOf({ properties: { maximumPacketSize: 20 } }));
    const ack = await expect<IConnackPacket>(c, 'connack');
    assert.equal(ack.reasonCode, 0);
    // Absent means available (§3.2.2.3): these capabilities need no bytes.
    assert.notEqual(ack.properties?.retainAvailable, false);
    assert.notEqual(ack.properties?.sharedSubscriptionAvailable, false);
    const f = frames(bytes)[0];
    assert.ok(f && f.body.length + 2 <= 20, `CONNACK of ${(f?.body.length ?? 0) + 2} bytes`);
    c.destroy();
  });

  test('[5.0 MQTT-4.12.0-1] an Authentication Method the server does not support gets CONNACK 0x8C and the close', async () => {
    const c = await env.open();
    c.send(env.connectOf({ properties: { authenticationMethod: 'SCRAM-SHA-1' } }));
    const ack = await expect<IConnackPacket>(c, 'connack');
    assert.ok([0x8c, 0x87].includes(ack.reasonCode as number), `CONNACK ${ack.reasonCode}`);
    assert.ok(await c.waitClosed());
  });

  test('[5.0 MQTT-4.12.0-7] an AUTH packet from a client that sent no Authentication Method is a protocol error', async () => {
    const c = await env.login();
    c.send({ cmd: 'auth', reasonCode: 0x19 } as never);
    const r = await c.dropped();
    assert.deepEqual(r, { closed: true, reasonCode: RC.PROTOCOL_ERROR });
    const d = c.received.find((p): p is IDisconnectPacket => p.cmd === 'disconnect');
    assert.ok(REASON_CODES.disconnect.includes(d?.reasonCode as never));
  });
});
