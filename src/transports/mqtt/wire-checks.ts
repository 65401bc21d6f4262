import { isUtf8 } from 'node:buffer';
import { SIZES } from './properties.js';

/** Property ids whose value is a UTF-8 Encoded String (38, User Property, is a pair of them). */
const STRING_PROPERTIES = new Set([0x03, 0x08, 0x12, 0x15, 0x1a, 0x1c, 0x1f]);

/**
 * Checks on a raw frame that mqtt-packet does not make. It decodes strings
 * with replacement characters, so a UTF-8 Encoded String that is not
 * well-formed (surrogates included) must be caught on the bytes: CONNECT,
 * PUBLISH, SUBSCRIBE, UNSUBSCRIBE and the properties of acknowledgements,
 * DISCONNECT and AUTH [MQTT-1.5.4-1] [MQTT-1.5.7-1]. It also ignores bytes
 * after the last CONNECT field, i.e. a user name or password whose flag is
 * 0 [MQTT-3.1.2-16] [MQTT-3.1.2-18]. Returns what is wrong (a malformed
 * packet), or undefined; a truncated frame is left to the parser.
 */
export function wireProblem(frame: Buffer, protocolVersion: number): string | undefined {
  const r = new Reader(frame);
  const type = (frame[0] as number) >> 4;
  try {
    r.skip(1); // packet type and flags
    r.varInt(); // remaining length
    switch (type) {
      case 1: {
        r.skipString(); // protocol name: checked by the parser
        const level = r.byte();
        const flags = r.byte();
        r.skip(2);
        const v5 = level === 5;
        if (v5 && !r.properties()) return 'a CONNECT property is not valid UTF-8';
        if (!r.string()) return 'the client identifier is not valid UTF-8';
        if (flags & 0x04) {
          if (v5 && !r.properties()) return 'a will property is not valid UTF-8';
          if (!r.string()) return 'the will topic is not valid UTF-8';
          r.skipString();
        }
        if (flags & 0x80 && !r.string()) return 'the user name is not valid UTF-8';
        if (flags & 0x40) r.skipString();
        return r.done ? undefined : 'bytes after the last field';
      }
      case 3: {
        // An MQTT 3.1.1 PUBLISH has no other string than its topic, which Connection checks itself (0x90).
        if (protocolVersion !== 5) return undefined;
        if (!r.string()) return 'the topic name is not valid UTF-8';
        if ((((frame[0] as number) >> 1) & 3) > 0) r.skip(2);
        if (!r.properties()) return 'a PUBLISH property is not valid UTF-8';
        return undefined;
      }
      case 8:
      case 10: {
        r.skip(2);
        if (protocolVersion === 5 && !r.properties()) return 'a property is not valid UTF-8';
        while (!r.done) {
          if (!r.string()) return 'a topic filter is not valid UTF-8';
          if (type === 8) r.skip(1);
        }
        return undefined;
      }
      case 4:
      case 5:
      case 6:
      case 7:
      case 14:
      case 15: {
        if (protocolVersion !== 5) return undefined;
        if (type < 14) r.skip(2);
        if (r.done) return undefined;
        r.skip(1);
        if (!r.done && !r.properties()) return 'a property is not valid UTF-8';
        return undefined;
      }
      default:
        return undefined;
    }
  } catch {
    return undefined; // truncated: the parser says so
  }
}

class Reader {
  #i = 0;
  readonly #end: number;
  constructor(readonly buf: Buffer) {
    this.#end = buf.length;
  }
  get done(): boolean {
    return this.#i >= this.#end;
  }
  byte(): number {
    if (this.#i >= this.#end) throw new RangeError('truncated');
    return this.buf[this.#i++] as number;
  }
  skip(n: number): void {
    this.#i += n;
    if (this.#i > this.#end) throw new RangeError('truncated');
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
  #bytes(): Buffer {
    const len = (this.byte() << 8) | this.byte();
    const start = this.#i;
    this.skip(len);
    return this.buf.subarray(start, start + len);
  }
  /** Reads a UTF-8 Encoded String; false if it is ill-formed. */
  string(): boolean {
    return isUtf8(this.#bytes());
  }
  skipString(): void {
    this.#bytes();
  }
  /** Reads a property block; false if a string property is ill-formed. */
  properties(): boolean {
    const length = this.varInt();
    const end = this.#i + length;
    while (this.#i < end) {
      const id = this.byte();
      const size = SIZES[id];
      if (size === undefined) throw new RangeError('unknown property'); // the parser reports it
      if (size > 0) this.skip(size);
      else if (size === -1) this.varInt();
      else if (size === -3) {
        if (!this.string() || !this.string()) return false;
      } else if (STRING_PROPERTIES.has(id)) {
        if (!this.string()) return false;
      } else this.skipString();
    }
    return true;
  }
}
