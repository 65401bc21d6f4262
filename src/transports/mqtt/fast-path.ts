import type { IPublishPacket, Packet } from 'mqtt-packet';

/**
 * Hand-coded encoders and decoders for the few packets on the message hot
 * path whose layout is fixed: QoS acknowledgements without reason codes and
 * MQTT 3.1.1 PUBLISH. Everything else (and every MQTT 5 PUBLISH, which has
 * properties) goes through mqtt-packet. Profiling put mqtt-packet's generic
 * generate/parse at the top of a QoS 1 fan-in; these produce the same bytes
 * and packets (fast-path.test.ts checks them against mqtt-packet).
 */
const ACK_TYPES: Readonly<Record<number, 'puback' | 'pubrec' | 'pubrel' | 'pubcomp'>> = {
  64: 'puback',
  80: 'pubrec',
  98: 'pubrel',
  112: 'pubcomp',
};
const ACK_BYTES = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 } as const;

/** A 4-byte PUBACK/PUBREC/PUBREL/PUBCOMP (success, no properties: the same in 3.1.1 and 5). */
export function encodeAck(cmd: keyof typeof ACK_BYTES, messageId: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b[0] = ACK_BYTES[cmd];
  b[1] = 2;
  b.writeUInt16BE(messageId, 2);
  return b;
}

/** Decodes a 4-byte acknowledgement frame, or returns undefined for anything else. */
export function decodeAck(frame: Buffer): Packet | undefined {
  if (frame.length !== 4 || frame[1] !== 2) return undefined;
  const cmd = ACK_TYPES[frame[0] as number];
  return cmd ? ({ cmd, messageId: frame.readUInt16BE(2) } as Packet) : undefined;
}

/** Decodes an MQTT 3.1.1 PUBLISH frame (no properties), or undefined when it is not a well-formed one. */
export function decodePublish311(frame: Buffer): IPublishPacket | undefined {
  const b0 = frame[0] as number;
  if (b0 >> 4 !== 3) return undefined;
  const qos = (b0 >> 1) & 3;
  if (qos === 3) return undefined;
  let i = 1;
  while (i < frame.length && ((frame[i] as number) & 0x80) !== 0) i++;
  i++;
  if (i + 2 > frame.length) return undefined;
  const topicLength = frame.readUInt16BE(i);
  i += 2;
  if (i + topicLength > frame.length) return undefined;
  const topic = frame.toString('utf8', i, i + topicLength);
  i += topicLength;
  const packet: IPublishPacket = {
    cmd: 'publish',
    topic,
    payload: frame.subarray(i),
    qos: qos as 0 | 1 | 2,
    retain: (b0 & 1) === 1,
    dup: (b0 & 8) === 8,
  };
  if (qos > 0) {
    if (i + 2 > frame.length) return undefined;
    packet.messageId = frame.readUInt16BE(i);
    if (packet.messageId === 0) return undefined; // [MQTT-2.3.1-1]: the parser reports it
    packet.payload = frame.subarray(i + 2);
  }
  return packet;
}

/** Encodes an MQTT 3.1.1 PUBLISH in one allocation. */
export function encodePublish311(
  topic: string,
  payload: Buffer,
  qos: 0 | 1 | 2,
  messageId: number | undefined,
  retain: boolean,
  dup: boolean,
): Buffer {
  const topicLength = Buffer.byteLength(topic);
  const remaining = 2 + topicLength + (qos > 0 ? 2 : 0) + payload.length;
  let lengthBytes = 1;
  for (let r = remaining; r >= 128; r = Math.floor(r / 128)) lengthBytes++;
  const b = Buffer.allocUnsafe(1 + lengthBytes + remaining);
  b[0] = 0x30 | (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0);
  let i = 1;
  let r = remaining;
  do {
    let byte = r % 128;
    r = Math.floor(r / 128);
    if (r > 0) byte |= 0x80;
    b[i++] = byte;
  } while (r > 0);
  b.writeUInt16BE(topicLength, i);
  i += 2;
  i += b.write(topic, i, 'utf8');
  if (qos > 0) {
    b.writeUInt16BE(messageId as number, i);
    i += 2;
  }
  payload.copy(b, i);
  return b;
}
