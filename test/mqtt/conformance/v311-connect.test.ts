import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { IConnackPacket, IConnectPacket } from 'mqtt-packet';
import { connackCode3, RC } from '../../../src/transports/mqtt/reason-codes.js';
import { adminClient, createDevice } from '../../helpers/mqtt.js';
import { bytes, connectPacket, frame, publishPacket, str } from '../../helpers/raw-mqtt.js';
import { closedSilently, dropped, startV311, subscribed, type V311 } from './v311-setup.js';

/** CONNECT bytes of an API key login; `flags` patches the Connect Flags byte. */
function connectBytes(s: V311, clientId: string, extra: Partial<IConnectPacket> = {}): Buffer {
  return bytes(connectPacket(undefined, 4, { ...s.login(clientId), ...extra }), 4);
}

/** Offset of the Connect Flags byte in a CONNECT shorter than 128 bytes (1-byte remaining length). */
const FLAGS_AT = 2 + 6 + 1;

/** A CONNECT built by hand: protocol name, level, flags, keep-alive and payload fields as given. */
function handConnect(flags: number, ...payload: Buffer[]): Buffer {
  return frame(0x10, str('MQTT'), [4, flags, 0, 60], ...payload);
}

describe('MQTT 3.1.1 conformance: CONNECT and CONNACK', () => {
  let s: V311;
  before(async () => {
    s = await startV311();
  });
  after(() => s.app.stop());

  test('[3.1.1 MQTT-3.1.0-1] [3.1.1 MQTT-4.8.0-1] a first packet other than CONNECT closes the connection unanswered', async () => {
    for (const first of [Buffer.from([0xc0, 0]), bytes(publishPacket('a/b', 'x'), 4)]) {
      const c = await s.open();
      c.write(first);
      await closedSilently(c, `first packet 0x${first[0]?.toString(16)}`);
    }
  });

  test('[3.1.1 MQTT-3.1.0-2] a second CONNECT is a protocol violation: the connection is closed', async () => {
    const c = await s.client('c-second');
    c.write(connectBytes(s, 'c-second'));
    await dropped(c, 'second CONNECT');
    assert.deepEqual(
      c.received.map((p) => p.cmd),
      ['connack'],
      'no second CONNACK',
    );
  });

  test('[3.1.1 MQTT-3.1.2-1] [3.1.1 MQTT-3.1.4-1] a CONNECT with a wrong protocol name is not processed: closed without CONNACK', async () => {
    const c = await s.open();
    c.write(frame(0x10, str('MQTX'), [4, 0x02, 0, 60], str('c-name')));
    await closedSilently(c, 'protocol name MQTX');
  });

  test('[3.1.1 MQTT-3.1.2-2] an unsupported protocol level gets CONNACK 0x01, then the connection is closed', async () => {
    const c = await s.open();
    c.write(frame(0x10, str('MQTT'), [6, 0x02, 0, 60], str('c-level')));
    const ack = (await c.next('connack')) as IConnackPacket | undefined;
    assert.equal(ack?.returnCode, 1);
    assert.equal(ack?.sessionPresent, false);
    assert.ok(await c.waitClosed(), 'closed after CONNACK 0x01');
  });

  test('[3.1.1 MQTT-3.1.2-3] [3.1.1 MQTT-2.2.2-1] [3.1.1 MQTT-2.2.2-2] reserved bits set in the Connect Flags or the fixed header: closed without CONNACK', async () => {
    const flagged = connectBytes(s, 'c-reserved');
    flagged[FLAGS_AT] = (flagged[FLAGS_AT] as number) | 0x01;
    const header = connectBytes(s, 'c-reserved');
    header[0] = 0x12;
    for (const [what, b] of [
      ['Connect Flags bit 0', flagged],
      ['fixed header flags 0x2', header],
    ] as const) {
      const c = await s.open();
      c.write(b);
      await closedSilently(c, what);
    }
  });

  test('[3.1.1 MQTT-3.1.2-9] [3.1.1 MQTT-3.1.2-11] [3.1.1 MQTT-3.1.2-13] [3.1.1 MQTT-3.1.2-14] [3.1.1 MQTT-3.1.2-15] will flags that contradict each other or the payload: closed without CONNACK', async () => {
    const id = str('c-will');
    const cases: [string, Buffer][] = [
      ['will flag without will topic and message', handConnect(0x06, id)],
      ['will QoS 1 without will flag', handConnect(0x0a, id)],
      ['will retain without will flag', handConnect(0x22, id)],
      ['will QoS 3', handConnect(0x1e, id, str('w/t'), str('bye'))],
    ];
    for (const [what, b] of cases) {
      const c = await s.open();
      c.write(b);
      await closedSilently(c, what);
    }
  });

  test('[3.1.1 MQTT-3.1.2-18] [3.1.1 MQTT-3.1.2-19] [3.1.1 MQTT-3.1.2-20] [3.1.1 MQTT-3.1.2-21] [3.1.1 MQTT-3.1.2-22] [3.1.1 MQTT-3.1.3-3] payload fields that do not match the Connect Flags, or no client id at all: closed without CONNACK', async () => {
    const cases: [string, Buffer][] = [
      ['no payload (no client id)', handConnect(0x02)],
      ['a user name without the user name flag', handConnect(0x02, str('c-user'), str('apikey'))],
      ['a password without the password flag', handConnect(0x82, str('c-user'), str('apikey'), str(s.key))],
      ['user name flag without a user name', handConnect(0x82, str('c-user'))],
      ['password flag without a password', handConnect(0xc2, str('c-user'), str('apikey'))],
      ['password flag without user name flag', handConnect(0x42, str('c-user'), str(s.key))],
    ];
    for (const [what, b] of cases) {
      const c = await s.open();
      c.write(b);
      await closedSilently(c, what);
    }
  });

  test('[3.1.1 MQTT-1.5.3-1] [3.1.1 MQTT-1.5.3-2] [3.1.1 MQTT-3.1.3-4] [3.1.1 MQTT-3.1.3-10] [3.1.1 MQTT-3.1.3-11] ill-formed UTF-8 or U+0000 in a CONNECT string: closed without CONNACK', async () => {
    const bad = Buffer.from([0x61, 0xc3, 0x28]); // 0xC3 0x28 is not UTF-8
    const surrogate = Buffer.from([0x61, 0xed, 0xa0, 0x80]); // U+D800 encoded
    const nul = Buffer.from([0x61, 0x00, 0x62]);
    const cases: [string, Buffer][] = [
      ['client id not UTF-8', handConnect(0xc2, str(bad), str('apikey'), str(s.key))],
      ['client id with a surrogate', handConnect(0xc2, str(surrogate), str('apikey'), str(s.key))],
      ['client id with U+0000', handConnect(0xc2, str(nul), str('apikey'), str(s.key))],
      [
        'will topic not UTF-8',
        handConnect(0xc6, str('c-u1'), str(bad), str('bye'), str('apikey'), str(s.key)),
      ],
      ['user name not UTF-8', handConnect(0xc2, str('c-u2'), str(bad), str(s.key))],
    ];
    for (const [what, b] of cases) {
      const c = await s.open();
      c.write(b);
      await closedSilently(c, what);
    }
  });

  test('[3.1.1 MQTT-1.5.3-3] a U+FEFF (0xEF 0xBB 0xBF) in a client id is kept, not stripped', async () => {
    const id = '\uFEFFc-bom';
    const c = await s.client(id);
    const other = await s.client('c-bom');
    // Were the BOM stripped, the two ids would be one and the second login would have closed the first.
    c.send({ cmd: 'pingreq' });
    assert.ok(await c.next('pingresp'), 'the client with the BOM was taken over');
    c.destroy();
    other.destroy();
  });

  test('[3.1.1 MQTT-3.1.3-5] [3.1.1 MQTT-3.1.4-4] [3.1.1 MQTT-3.2.0-1] [3.1.1 MQTT-3.2.2-1] a 23-character alphanumeric client id is accepted: CONNACK 0 first, session present 0 with a clean session', async () => {
    const id = 'Abcdefghijklmnopqrstuv0';
    assert.equal(id.length, 23);
    const c = await s.open();
    const ack = await c.connect(undefined, s.login(id));
    assert.equal(ack?.returnCode, 0);
    assert.equal(ack?.sessionPresent, false);
    assert.equal(c.received[0]?.cmd, 'connack', 'CONNACK is the first packet');
    c.send({ cmd: 'pingreq' });
    assert.ok(await c.next('pingresp'));
    c.destroy();
  });

  test('[3.1.1 MQTT-3.1.3-6] a zero-byte client id with a clean session is accepted and gets a unique id of its own', async () => {
    const a = await s.client('');
    const b = await s.client('');
    await subscribed(a, 'zero/a', 0);
    await subscribed(b, 'zero/b', 0);
    // Were both the same session, the second login would have closed the first.
    assert.equal(a.closed, false);
    const pub = await s.client('c-zero-pub');
    pub.send(publishPacket('zero/a', 'for a'));
    assert.ok(await a.until(() => a.publishes().length === 1, 2000), 'a still receives');
    for (const c of [a, b, pub]) c.destroy();
  });

  test('[3.1.1 MQTT-3.1.3-8] [3.1.1 MQTT-3.2.2-4] [3.1.1 MQTT-3.2.2-5] a zero-byte client id without a clean session: CONNACK 0x02, session present 0, closed', async () => {
    const c = await s.open();
    // Built by hand: mqtt-packet refuses to encode this CONNECT.
    c.write(handConnect(0xc0, str(''), str('apikey'), str(s.key)));
    const ack = (await c.next('connack')) as IConnackPacket | undefined;
    assert.equal(ack?.returnCode, 2);
    assert.equal(ack?.sessionPresent, false);
    assert.ok(await c.waitClosed(), 'closed after the refusal');
  });

  test('[3.1.1 MQTT-3.1.3-9] a client id the server rejects gets CONNACK 0x02 and the connection is closed', async () => {
    const api = await adminClient(s.app);
    const dev = await createDevice(api, { id: 'c-dev' });
    const c = await s.open();
    // A device's client id must be its device id.
    const ack = await c.connect(dev, { clientId: 'not-c-dev' });
    assert.equal(ack?.returnCode, 2);
    assert.equal(ack?.sessionPresent, false);
    assert.ok(await c.waitClosed(), 'closed after the refusal');
  });

  test('[3.1.1 MQTT-3.2.2-6] every reason Plexus has to refuse a CONNECT maps to a return code of Table 3.1, so none is refused without CONNACK', () => {
    for (const rc of Object.values(RC)) {
      const code = connackCode3(rc);
      if (rc === RC.SUCCESS) assert.equal(code, 0);
      else assert.ok(code >= 1 && code <= 5, `reason 0x${rc.toString(16)} → ${code}`);
    }
  });

  test('[3.1.1 MQTT-3.1.4-2] a second connection with the same client id closes the first', async () => {
    const first = await s.client('c-takeover');
    const second = await s.client('c-takeover');
    await dropped(first, 'taken-over connection');
    assert.equal(second.closed, false);
    second.destroy();
  });

  test('[3.1.1 MQTT-3.1.4-5] after a refused CONNECT, nothing the client sent behind it is processed', async () => {
    const c = await s.open();
    c.write(
      Buffer.concat([
        connectBytes(s, 'c-refused', { password: Buffer.from('wrong key') }),
        bytes(publishPacket('refused/retained', 'must not be stored', { retain: true }), 4),
      ]),
    );
    const ack = (await c.next('connack')) as IConnackPacket | undefined;
    assert.equal(ack?.returnCode, 4);
    assert.ok(await c.waitClosed(), 'closed after the refusal');
    const probe = await s.client('c-refused-probe');
    await subscribed(probe, 'refused/#', 0);
    // The retained message would arrive right after SUBACK; a PINGRESP after it proves it did not.
    probe.send({ cmd: 'pingreq' });
    assert.ok(await probe.next('pingresp'));
    assert.deepEqual(probe.publishes(), []);
    probe.destroy();
  });

  test('[3.1.1 MQTT-3.1.2-24] no packet within one and a half times the keep-alive: the server closes the connection', async () => {
    const c = await s.client('c-keepalive', { keepalive: 1 });
    const start = Date.now();
    assert.ok(await c.waitClosed(4000), 'closed for silence');
    const took = Date.now() - start;
    assert.ok(took >= 1000, `closed after ${took} ms, before the keep-alive ran out`);
    // A client that pings in time stays.
    const live = await s.client('c-keepalive-live', { keepalive: 1 });
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 500));
      live.send({ cmd: 'pingreq' });
    }
    assert.equal(live.closed, false, 'a client that pings every 0.5 s was closed');
    live.destroy();
  });
});
