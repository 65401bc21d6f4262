import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqttPacket from 'mqtt-packet';
import { FrameParser } from './frame-parser.js';

const v5sub = mqttPacket.generate(
  {
    cmd: 'subscribe',
    messageId: 7,
    subscriptions: [{ topic: 'a/+', qos: 1, nl: false, rap: false, rh: 0 }],
    properties: { subscriptionIdentifier: 3 },
  },
  { protocolVersion: 5 },
);
const v4sub = mqttPacket.generate(
  { cmd: 'subscribe', messageId: 8, subscriptions: [{ topic: 'b/#', qos: 0 }] },
  { protocolVersion: 4 },
);

test('one parser serves frames of different connections and versions in turn', () => {
  const p = new FrameParser();
  const a = p.parse(v5sub, 5);
  assert.ok('packet' in a);
  assert.equal(a.packet.cmd, 'subscribe');
  assert.deepEqual((a.packet as { properties?: unknown }).properties, { subscriptionIdentifier: 3 });
  const b = p.parse(v4sub, 4);
  assert.ok('packet' in b);
  assert.equal((b.packet as { messageId?: number }).messageId, 8);
});

test('a broken or truncated frame is an error and does not poison the next parse', () => {
  const p = new FrameParser();
  const qos3 = Buffer.from([0x36, 0x02, 0x00, 0x00]); // PUBLISH with both QoS bits set
  assert.deepEqual(p.parse(qos3, 4), { error: 'Packet must not have both QoS bits set to 1' });
  const truncated = Buffer.from(v4sub.subarray(0, v4sub.length - 2));
  truncated[1] = (v4sub[1] as number) - 2; // consistent length, cut topic
  assert.ok('error' in p.parse(truncated, 4));
  const reserved = Buffer.from([0x83, 0x00]); // SUBSCRIBE with wrong reserved flags
  assert.ok('error' in p.parse(reserved, 4));
  const ok = p.parse(v4sub, 4);
  assert.ok('packet' in ok, JSON.stringify(ok));
});
