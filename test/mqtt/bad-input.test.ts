import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { IConnackPacket, IPublishPacket, ISubackPacket } from 'mqtt-packet';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient, createDevice, type TestDevice } from '../helpers/mqtt.js';
import {
  bytes,
  ControlPair,
  connectPacket,
  createApiKey,
  frame,
  publishPacket,
  RawMqtt,
  str,
  type Version,
} from '../helpers/raw-mqtt.js';

const MAX_PACKET = 65_536;
const MALFORMED = 0x81;
const PROTOCOL_ERROR = 0x82;
const TOPIC_NAME_INVALID = 0x90;

describe('MQTT broker: bad input', () => {
  let app: TestApp;
  let api: Client;
  let ctl: ControlPair;
  let dev: TestDevice;
  let topic: string;

  before(async () => {
    app = await startTestApp({
      env: { PLEXUS_MQTT_MAX_PACKET_SIZE: String(MAX_PACKET), PLEXUS_MQTT_CONNECT_TIMEOUT: '1' },
    });
    api = await adminClient(app);
    ctl = await ControlPair.start(app.mqttPort, api);
    dev = await createDevice(api, { id: 'attacker' });
    topic = `devices/${dev.id}/telemetry`;
  });
  afterEach(async (t) => ctl.check(`"${(t as { name?: string }).name}"`));
  after(async () => {
    ctl.close();
    await app.stop();
  });

  const open = (v: Version = 5) => RawMqtt.open(app.mqttPort, { protocolVersion: v });
  const login = (v: Version = 5) => RawMqtt.device(app.mqttPort, dev, { protocolVersion: v });
  const pub = (t: string, extra: Partial<IPublishPacket> = {}) => publishPacket(t, 'x', extra);

  /** Sends `attack` on a logged-in connection of each version: v5 gets DISCONNECT `rc`, 3.1.1 is just closed. */
  async function expectDrop(
    what: string,
    rc: number,
    attack: (v: Version) => Buffer,
    versions: Version[] = [5, 4],
  ) {
    for (const v of versions) {
      const c = await login(v);
      c.write(attack(v));
      const r = await c.dropped();
      assert.ok(r.closed, `${what} (v${v}): the connection stayed open`);
      assert.equal(r.reasonCode, v === 5 ? rc : undefined, `${what} (v${v}): DISCONNECT reason code`);
    }
  }

  /** Sends bytes as the first thing on a fresh connection: it must be closed without a session. */
  async function expectRefused(what: string, data: Buffer, v: Version = 5, within = 500): Promise<RawMqtt> {
    const c = await open(v);
    c.write(data);
    assert.ok(await c.waitClosed(within), `${what}: the connection stayed open for ${within} ms`);
    const connack = c.received.find((p): p is IConnackPacket => p.cmd === 'connack');
    if (connack) assert.notEqual(connack.reasonCode ?? connack.returnCode, 0, `${what}: accepted`);
    return c;
  }

  describe('malformed packets', () => {
    test('remaining length with 5 continuation bytes → 0x81 (and before CONNECT: closed)', async () => {
      await expectDrop('5-byte length', MALFORMED, () =>
        Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01, 0]),
      );
      await expectRefused('5-byte CONNECT length', Buffer.from([0x10, 0x80, 0x80, 0x80, 0x80, 0x01]));
    });

    test('reserved header flag bits in SUBSCRIBE, PUBREL, PINGREQ → 0x81', async () => {
      const sub = (v: Version) =>
        bytes({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 0 }] }, v);
      await expectDrop('SUBSCRIBE 0x80', MALFORMED, (v) => Buffer.from([0x80, ...sub(v).subarray(1)]));
      await expectDrop('SUBSCRIBE 0x8a', MALFORMED, (v) => Buffer.from([0x8a, ...sub(v).subarray(1)]));
      await expectDrop('PUBREL 0x60', MALFORMED, () => Buffer.from([0x60, 0x02, 0x00, 0x01]));
      await expectDrop('PINGREQ 0xc1', MALFORMED, () => Buffer.from([0xc1, 0x00]));
    });

    test('CONNECT with reserved flag bit 0 set is refused [MQTT-3.1.2-3]', async () => {
      for (const v of [5, 4] as const) {
        const b = bytes(connectPacket(dev, v), v);
        b[9] = (b[9] as number) | 0x01; // 2 header + 6 "MQTT" + 1 level → connect flags
        await expectRefused(`reserved flag (v${v})`, b, v);
      }
    });

    test('unknown protocol version → CONNACK 0x84 (MQTT 5) / return code 1 (3.1.1), then close', async () => {
      for (const level of [6, 2, 0x7f]) {
        const b = bytes(connectPacket(dev, 5), 5);
        b[8] = level;
        const c = await open(4); // parse the answer leniently: a 3.1.1 CONNACK or an MQTT 5 one
        const raw: Buffer[] = [];
        c.socket.on('data', (d: Buffer) => raw.push(d));
        c.write(b);
        assert.ok(await c.waitClosed(), `level ${level}: stayed open`);
        const answer = Buffer.concat(raw);
        assert.equal(
          answer[0],
          0x20,
          `level ${level}: no CONNACK before close (got ${answer.toString('hex')})`,
        );
        assert.ok([0x01, 0x84].includes(answer[3] as number), `level ${level}: code ${answer[3]}`);
      }
    });

    test('truncated CONNECT: short body closed at once, unfinished packet closed by the CONNECT timeout', async () => {
      const full = bytes(connectPacket(dev, 5), 5);
      const body = full.subarray(2);
      for (const cut of [0, 3, 6, 7, 8, 10, 12, body.length - 1]) {
        await expectRefused(`body cut at ${cut}`, frame(0x10, body.subarray(0, cut)));
      }
      const c = await open();
      const started = Date.now();
      c.write(full.subarray(0, full.length - 4)); // announced, never finished
      assert.ok(await c.waitClosed(4000), 'half a CONNECT kept the connection open');
      assert.ok(Date.now() - started < 3500, `closed after ${Date.now() - started} ms`);
    });
  });

  describe('protocol violations', () => {
    test('PUBLISH before CONNECT closes the connection and is not routed', async () => {
      const sneaky = `sneaky-${Date.now()}`;
      const b = bytes(pub(ctl.topic, { payload: Buffer.from(sneaky) }), 4);
      const c = await expectRefused('PUBLISH first', b, 4);
      assert.deepEqual(c.received, []);
      await new Promise((r) => setTimeout(r, 50));
      assert.ok(
        !ctl.sub.publishes().some((p) => p.payload.toString() === sneaky),
        'unauthenticated publish routed',
      );
    });

    test('a second CONNECT → 0x82', async () => {
      await expectDrop('second CONNECT', PROTOCOL_ERROR, (v) => bytes(connectPacket(dev, v), v));
    });

    test('SUBSCRIBE without topic filters → 0x82 [MQTT-3.8.3-2]', async () => {
      await expectDrop('empty SUBSCRIBE', PROTOCOL_ERROR, (v) =>
        v === 5 ? frame(0x82, [0, 1, 0]) : frame(0x82, [0, 1]),
      );
    });

    test('PUBLISH with both QoS bits set → 0x81', async () => {
      await expectDrop('QoS 3', MALFORMED, (v) => {
        const b = bytes(pub(topic, { qos: 1, messageId: 1 }), v);
        b[0] = 0x36;
        return b;
      });
    });

    test('packets only servers send (CONNACK, SUBACK, UNSUBACK, PINGRESP) → 0x82', async () => {
      await expectDrop('CONNACK', PROTOCOL_ERROR, (v) =>
        v === 5 ? frame(0x20, [0, 0, 0]) : frame(0x20, [0, 0]),
      );
      await expectDrop('SUBACK', PROTOCOL_ERROR, (v) =>
        v === 5 ? frame(0x90, [0, 1, 0, 0]) : frame(0x90, [0, 1, 0]),
      );
      await expectDrop('UNSUBACK', PROTOCOL_ERROR, (v) =>
        v === 5 ? frame(0xb0, [0, 1, 0, 0]) : frame(0xb0, [0, 1]),
      );
      await expectDrop('PINGRESP', PROTOCOL_ERROR, () => Buffer.from([0xd0, 0]));
      await expectRefused('CONNACK first', Buffer.from([0x20, 0x02, 0, 0]), 4);
    });
  });

  describe('oversized packets', () => {
    test('CONNACK announces the Maximum Packet Size', async () => {
      const c = await open();
      const ack = await c.connect(dev);
      assert.equal(ack?.properties?.maximumPacketSize, MAX_PACKET);
      c.destroy();
    });

    test('100 MB announced, a few bytes sent → 0x95 at once (nothing buffered)', async () => {
      const header = [0x30, 0x80, 0xc2, 0xd7, 0x2f]; // remaining length 100,000,000
      for (const v of [5, 4] as const) {
        const c = await login(v);
        const started = Date.now();
        c.write(Buffer.from([...header, ...str(topic), 0x61, 0x62]));
        const r = await c.dropped(1000);
        assert.ok(r.closed, `v${v}: not closed within 1 s`);
        assert.equal(r.reasonCode, v === 5 ? 0x95 : undefined);
        assert.ok(
          (c.closedAt as number) - started < 500,
          `v${v}: closed after ${(c.closedAt as number) - started} ms`,
        );
      }
      await expectRefused('100 MB CONNECT', Buffer.from([0x10, 0x80, 0xc2, 0xd7, 0x2f, 0, 4]));
    });

    test('a whole PUBLISH one byte over the limit → 0x95; one at the limit passes', async () => {
      // 1 type byte + 3 length bytes + topic + (v5: empty properties) + payload = n bytes
      const sized = (n: number, v: Version) =>
        bytes(pub(topic, { payload: Buffer.alloc(n - 6 - topic.length - (v === 5 ? 1 : 0), 0x61) }), v);
      await expectDrop('MAX+1', 0x95, (v) => sized(MAX_PACKET + 1, v));
      const c = await login(5);
      const ok = sized(MAX_PACKET, 5);
      assert.equal(ok.length, MAX_PACKET);
      c.write(Buffer.concat([ok, Buffer.from([0xc0, 0])]));
      assert.ok(await c.next('pingresp'), 'a packet of exactly the maximum size was refused');
      c.destroy();
    });
  });

  describe('topics', () => {
    test('invalid UTF-8 in a PUBLISH topic → 0x90', async () => {
      for (const bad of [[0xc3, 0x28], [0xed, 0xa0, 0x80], [0xff], [0xe2, 0x82]]) {
        const t = Buffer.concat([Buffer.from(`devices/${dev.id}/`), Buffer.from(bad)]);
        await expectDrop(`topic ${Buffer.from(bad).toString('hex')}`, TOPIC_NAME_INVALID, (v) =>
          frame(0x30, str(t), v === 5 ? [0] : [], Buffer.from('x')),
        );
      }
    });

    test('U+0000 in a PUBLISH topic closes the connection (0x90 or 0x81)', async () => {
      const c = await login(5);
      c.send(pub(`devices/${dev.id}/a\u0000b`));
      const r = await c.dropped();
      assert.ok(r.closed);
      assert.ok([TOPIC_NAME_INVALID, MALFORMED].includes(r.reasonCode as number), `reason ${r.reasonCode}`);
    });

    test('wildcards in a PUBLISH topic → 0x90 [MQTT-3.3.2-2]', async () => {
      for (const t of [`devices/${dev.id}/+`, `devices/${dev.id}/#`, '#', `devices/${dev.id}/a+`]) {
        await expectDrop(`topic ${t}`, TOPIC_NAME_INVALID, (v) => bytes(pub(t), v));
      }
    });

    test('topic alias 0, above the maximum, or never set', async () => {
      const c = await open();
      const ack = await c.connect(dev);
      const max = ack?.properties?.topicAliasMaximum ?? 0;
      c.destroy();
      for (const alias of [0, max + 1, 65535]) {
        await expectDrop(
          `alias ${alias}`,
          0x94,
          (v) => bytes(pub(topic, { properties: { topicAlias: alias } }), v),
          [5],
        );
      }
      await expectDrop(
        'unknown alias',
        PROTOCOL_ERROR,
        () => frame(0x30, str(''), [3, 0x23, 0, 1], Buffer.from('x')),
        [5],
      );
    });

    test('invalid subscription filters get SUBACK 0x8F (3.1.1: 0x80) and the connection stays', async () => {
      const filters = ['a/#/b', 'a+', '$share//x', '$share/g', '#/a', 'a/b#', `devices/${dev.id}/#`];
      for (const v of [5, 4] as const) {
        const c = await login(v);
        c.send({ cmd: 'subscribe', messageId: 7, subscriptions: filters.map((f) => ({ topic: f, qos: 1 })) });
        const ack = (await c.next('suback')) as ISubackPacket | undefined;
        const bad = v === 5 ? 0x8f : 0x80;
        assert.deepEqual(ack?.granted, [bad, bad, bad, bad, bad, bad, 1], `v${v}`);
        c.send({ cmd: 'pingreq' });
        assert.ok(await c.next('pingresp'), `v${v}: connection unusable after refused filters`);
        assert.ok(!c.closed);
        c.destroy();
      }
    });
  });

  describe('properties', () => {
    let victim: RawMqtt;
    const subscriber = async (clientId: string) => {
      const c = await RawMqtt.apiKey(app.mqttPort, await createApiKey(api, clientId), clientId);
      assert.deepEqual((await c.subscribe(`devices/${dev.id}/#`, 1))?.granted, [1], `${clientId} SUBACK`);
      return c;
    };
    const alive = async (c: RawMqtt, what: string) => {
      c.send({ cmd: 'pingreq' });
      assert.ok(await c.next('pingresp', 1000), `${what}: a subscriber of the attacker's topics was dropped`);
    };
    before(async () => {
      victim = await subscriber('victim');
    });
    after(() => victim.destroy());

    test('a property given twice in PUBLISH → 0x82 [MQTT-3.3.2]; subscribers are not harmed', async () => {
      const twice: [string, number[]][] = [
        ['content type', [0x03, ...str('a'), 0x03, ...str('b')]],
        ['message expiry', [0x02, 0, 0, 0, 9, 0x02, 0, 0, 0, 9]],
        ['payload format', [0x01, 0, 0x01, 0]],
      ];
      for (const [what, props] of twice) {
        const attack = () => frame(0x30, str(topic), [props.length, ...props], Buffer.from('x'));
        await expectDrop(what, PROTOCOL_ERROR, attack, [5]);
        await alive(victim, what);
      }
    });

    // A user property whose value length runs past the end of the packet.
    const cutShort = [0x26, ...str('k'), 0xff, 0xff];

    test('PUBLISH with a user property cut short → 0x81; it is neither routed nor retained', async () => {
      const c = await login(5);
      c.write(frame(0x31, str(topic), [cutShort.length, ...cutShort], Buffer.from('x'))); // retained
      const r = await c.dropped();
      await alive(victim, 'routing it');
      const late = await subscriber('late');
      await new Promise((r) => setTimeout(r, 100));
      await alive(late, 'its retained copy');
      assert.ok(r.closed, 'the connection stayed open');
      assert.equal(r.reasonCode, MALFORMED, 'DISCONNECT reason code');
      late.destroy();
    });

    test('a will with a user property cut short is refused and never crashes the broker', async () => {
      const crashes: unknown[] = [];
      const onCrash = (err: unknown) => crashes.push(err);
      process.on('uncaughtException', onCrash);
      try {
        const c = await open();
        // CONNECT v5: user name, password, will (QoS 0), clean start; will properties = cutShort.
        const willProps = [cutShort.length, ...cutShort];
        const rest = [str(`devices/${dev.id}/will`), str('bye'), str(dev.id), str(dev.secret)];
        c.write(frame(0x10, str('MQTT'), [5, 0xc6, 0, 60, 0], str(dev.id), willProps, ...rest));
        const ack = (await c.next('connack', 1000)) as IConnackPacket | undefined;
        c.destroy(); // an abnormal end: a stored will would be published now
        await new Promise((r) => setTimeout(r, 200));
        assert.deepEqual(crashes.map(String), [], 'the will crashed the broker');
        assert.ok(ack === undefined || (ack.reasonCode as number) >= 0x80, 'the malformed will was accepted');
        await alive(victim, 'the will');
      } finally {
        process.off('uncaughtException', onCrash);
      }
    });
  });
});
