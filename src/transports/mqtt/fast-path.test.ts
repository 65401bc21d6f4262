import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqttPacket, { type IPublishPacket, type Packet } from 'mqtt-packet';
import { decodeAck, decodePublish311, encodeAck, encodePublish311 } from './fast-path.js';

function parse(buf: Buffer, protocolVersion = 4): Packet {
  const p = mqttPacket.parser({ protocolVersion });
  let out: Packet | undefined;
  p.on('packet', (x: Packet) => {
    out = x;
  });
  p.parse(buf);
  return out as Packet;
}

test('acknowledgements encode and decode exactly as mqtt-packet does', () => {
  for (const cmd of ['puback', 'pubrec', 'pubrel', 'pubcomp'] as const) {
    for (const id of [1, 255, 256, 65535]) {
      const ours = encodeAck(cmd, id);
      assert.deepEqual(ours, mqttPacket.generate({ cmd, messageId: id } as Packet, { protocolVersion: 4 }));
      assert.deepEqual(decodeAck(ours), { cmd, messageId: id });
    }
  }
  assert.equal(
    decodeAck(Buffer.from([0x40, 3, 0, 1, 0])),
    undefined,
    'MQTT 5 ack with a reason code: not ours',
  );
  assert.equal(
    decodeAck(Buffer.from([0x60, 2, 0, 1])),
    undefined,
    'PUBREL with bad flags: left to the parser',
  );
});

test('3.1.1 PUBLISH encodes byte for byte like mqtt-packet and decodes to the same packet', () => {
  const cases: [string, number, 0 | 1 | 2, boolean, boolean][] = [
    ['a', 0, 0, false, false],
    ['devices/press-7/telemetry', 100, 1, false, false],
    ['ünïcode/тема', 300, 2, true, true],
    ['big', 20_000, 1, false, false],
  ];
  for (const [topic, size, qos, retain, dup] of cases) {
    const payload = Buffer.alloc(size, 7);
    const id = qos > 0 ? 4242 : undefined;
    const ours = encodePublish311(topic, payload, qos, id, retain, dup);
    const packet: IPublishPacket = {
      cmd: 'publish',
      topic,
      payload,
      qos,
      retain,
      dup,
      ...(id ? { messageId: id } : {}),
    };
    assert.deepEqual(ours, mqttPacket.generate(packet, { protocolVersion: 4 }), topic);
    const decoded = decodePublish311(ours) as IPublishPacket;
    const reference = parse(ours) as IPublishPacket;
    assert.equal(decoded.topic, reference.topic);
    assert.deepEqual(Buffer.from(decoded.payload as Buffer), Buffer.from(reference.payload as Buffer));
    assert.deepEqual(
      [decoded.qos, decoded.retain, decoded.dup, decoded.messageId],
      [reference.qos, reference.retain, reference.dup, reference.messageId],
    );
  }
});

test('truncated or odd PUBLISH frames are left to the parser', () => {
  const full = encodePublish311('a/b', Buffer.from('x'), 1, 7, false, false);
  for (let n = 2; n < 7; n++) assert.equal(decodePublish311(full.subarray(0, n)), undefined, `cut at ${n}`);
  assert.equal(decodePublish311(Buffer.from([0x36, 5, 0, 1, 0x61, 0, 1])), undefined, 'QoS bits 3');
  assert.equal(
    decodePublish311(encodePublish311('a', Buffer.alloc(0), 1, 1, false, false).fill(0, 5)),
    undefined,
    'packet id 0',
  );
});
