import { isUtf8 } from 'node:buffer';
import { REPEATABLE, SIZES } from './properties.js';
import { RC } from './reason-codes.js';

/** Property ids whose value is a UTF-8 Encoded String (0x26, User Property, is a pair of them). */
const STRING_PROPERTIES = new Set([0x03, 0x08, 0x12, 0x15, 0x1a, 0x1c, 0x1f]);

/** Why a frame is refused: the reason code that ends the connection, and what is wrong. */
export interface WireProblem {
  readonly code: number;
  readonly what: string;
}

const malformed = (what: string | undefined): WireProblem | undefined =>
  what === undefined ? undefined : { code: RC.MALFORMED_PACKET, what };

/**
 * Checks on a raw frame that mqtt-packet does not make, run before it
 * parses the frame, in one pass over the bytes. It decodes strings
 * leniently (ill-formed UTF-8 becomes U+FFFD), keeps only the last of a
 * repeated property and lets through some fields the spec forbids, so:
 * - a PUBLISH topic is well-formed UTF-8 (0x90 Topic Name invalid) [MQTT-1.5.4-1];
 * - no MQTT 5 PUBLISH property but User Property and Subscription
 *   Identifier appears twice (0x82 Protocol Error) [MQTT-3.3.2-*];
 * - every other UTF-8 Encoded String is well-formed and holds no U+0000
 *   [MQTT-1.5.3-1/2] [MQTT-1.5.4-1/2] [MQTT-1.5.7-1]: CONNECT, PUBLISH
 *   properties, SUBSCRIBE, UNSUBSCRIBE and the properties of
 *   acknowledgements, DISCONNECT and AUTH (0x81 Malformed Packet);
 * - CONNECT: no will QoS 3 [MQTT-3.1.2-14], no 3.1.1 password without a user
 *   name [MQTT-3.1.2-22], no bytes after the last field (a user name or
 *   password whose flag is 0) [MQTT-3.1.2-16/18/20];
 * - no packet identifier 0 in PUBLISH QoS > 0, SUBSCRIBE, UNSUBSCRIBE [MQTT-2.3.1-1].
 * Returns the problem, or undefined; a truncated or foreign frame is left
 * to the parser to report.
 */
export function wireProblem(frame: Buffer, protocolVersion: number): WireProblem | undefined {
  const type = (frame[0] as number) >> 4;
  if (type === 3) return publishProblem(frame, protocolVersion === 5);
  // 3.1.1 acknowledgements carry no strings; PINGREQ/PINGRESP nothing at all.
  if ((protocolVersion !== 5 && type !== 1 && type !== 8 && type !== 10) || type === 12 || type === 13)
    return undefined;
  const r = new Reader(frame);
  try {
    r.advance(1); // packet type and flags
    r.varInt(); // remaining length
    switch (type) {
      case 1:
        return malformed(connectProblem(r));
      case 8:
      case 10: {
        const packet = type === 8 ? 'SUBSCRIBE' : 'UNSUBSCRIBE';
        if (r.u16() === 0) return malformed(`${packet} has packet identifier 0`);
        if (protocolVersion === 5) {
          const bad = r.propertiesProblem();
          if (bad) return malformed(bad);
        }
        while (!r.done) {
          const bad = r.stringProblem('a topic filter');
          if (bad) return malformed(bad);
          if (type === 8) r.advance(1);
        }
        return undefined;
      }
      case 4:
      case 5:
      case 6:
      case 7:
      case 14:
      case 15: {
        // MQTT 5 acknowledgements, DISCONNECT and AUTH: an optional reason code, then properties.
        if (type < 14) r.advance(2);
        if (r.done) return undefined;
        r.advance(1);
        return r.done ? undefined : malformed(r.propertiesProblem());
      }
      default:
        return undefined; // packets only servers send: the dispatcher refuses them (0x82)
    }
  } catch {
    return undefined; // truncated: the parser says so
  }
}

/**
 * PUBLISH, on every message (the flood path): plain offsets up to the
 * packet identifier, which is all a 3.1.1 PUBLISH needs.
 */
function publishProblem(frame: Buffer, v5: boolean): WireProblem | undefined {
  let i = 1;
  while (i < frame.length && ((frame[i] as number) & 0x80) !== 0) i++;
  i++;
  if (i + 2 > frame.length) return undefined; // the parser reports the truncation
  const topicEnd = i + 2 + frame.readUInt16BE(i);
  if (!isUtf8(frame.subarray(i + 2, Math.min(frame.length, topicEnd)))) {
    return { code: RC.TOPIC_NAME_INVALID, what: 'topic name is not valid UTF-8' };
  }
  i = topicEnd;
  if ((((frame[0] as number) >> 1) & 3) > 0) {
    if (i + 2 > frame.length) return undefined;
    if (frame.readUInt16BE(i) === 0) return malformed('PUBLISH with QoS > 0 has packet identifier 0');
    i += 2;
  }
  if (!v5 || i >= frame.length) return undefined;
  const r = new Reader(frame, i);
  const seen = new Set<number>();
  let repeated: number | undefined;
  try {
    const bad = r.propertiesProblem((id) => {
      if (repeated === undefined && seen.has(id) && !REPEATABLE.has(id)) repeated = id;
      seen.add(id);
    });
    if (repeated !== undefined)
      return { code: RC.PROTOCOL_ERROR, what: `property 0x${repeated.toString(16)} appears more than once` };
    return malformed(bad);
  } catch {
    return undefined;
  }
}

function connectProblem(r: Reader): string | undefined {
  const name = r.bytes().toString('latin1');
  const level = r.byte();
  const flags = r.byte();
  // Another protocol or level is answered by the CONNECT handler (CONNACK 0x01 / 0x84) [MQTT-3.1.2-2].
  if ((name !== 'MQTT' && name !== 'MQIsdp') || level < 3 || level > 5) return undefined;
  if (((flags >> 3) & 3) === 3) return 'will QoS 3';
  // 3.1.1 only: MQTT 5 allows a password without a user name.
  if (level < 5 && (flags & 0xc0) === 0x40) return 'password flag without user name flag';
  r.advance(2); // keep-alive
  const v5 = level === 5;
  const bad =
    (v5 ? r.propertiesProblem() : undefined) ??
    r.stringProblem('the client id') ??
    ((flags & 0x04) !== 0
      ? ((v5 ? r.propertiesProblem() : undefined) ?? r.stringProblem('the will topic') ?? r.passBytes())
      : undefined) ??
    ((flags & 0x80) !== 0 ? r.stringProblem('the user name') : undefined) ??
    ((flags & 0x40) !== 0 ? r.passBytes() : undefined);
  if (bad) return bad;
  return r.done ? undefined : 'CONNECT has bytes after its last field';
}

/** Reads a frame front to back; running past its end throws (the caller leaves that to the parser). */
class Reader {
  #i: number;
  readonly buf: Buffer;
  constructor(buf: Buffer, at = 0) {
    this.buf = buf;
    this.#i = at;
  }
  get done(): boolean {
    return this.#i >= this.buf.length;
  }
  byte(): number {
    if (this.#i >= this.buf.length) throw new RangeError('truncated');
    return this.buf[this.#i++] as number;
  }
  u16(): number {
    return (this.byte() << 8) | this.byte();
  }
  advance(n: number): void {
    this.#i += n;
    if (this.#i > this.buf.length) throw new RangeError('truncated');
  }
  varInt(): number {
    let value = 0;
    let mult = 1;
    for (let n = 0; n < 4; n++) {
      const b = this.byte();
      value += (b & 0x7f) * mult;
      mult *= 128;
      if ((b & 0x80) === 0) break;
    }
    return value;
  }
  /** Length-prefixed bytes (strings and binary data). */
  bytes(): Buffer {
    const len = this.u16();
    const start = this.#i;
    this.advance(len);
    return this.buf.subarray(start, start + len);
  }
  passBytes(): undefined {
    this.bytes();
    return undefined;
  }
  /** Reads a UTF-8 Encoded String: why it is not one, or undefined. */
  stringProblem(what: string): string | undefined {
    const s = this.bytes();
    if (!isUtf8(s)) return `${what} is not valid UTF-8`;
    return s.includes(0) ? `${what} contains U+0000` : undefined;
  }
  /** Reads a property block (telling `onId` each property id): why one of its strings is not valid, or undefined. */
  propertiesProblem(onId?: (id: number) => void): string | undefined {
    const end = this.varInt() + this.#i;
    while (this.#i < end) {
      const id = this.byte();
      const size = SIZES[id];
      if (size === undefined) throw new RangeError('unknown property'); // the parser reports it
      onId?.(id);
      if (size > 0) this.advance(size);
      else if (size === -1) this.varInt();
      else if (size === -3) {
        const bad = this.stringProblem('a user property') ?? this.stringProblem('a user property');
        if (bad) return bad;
      } else if (STRING_PROPERTIES.has(id)) {
        const bad = this.stringProblem('a string property');
        if (bad) return bad;
      } else this.bytes();
    }
    return undefined;
  }
}
