import { isUtf8 } from 'node:buffer';

/**
 * Checks on raw CONNECT, SUBSCRIBE and UNSUBSCRIBE frames that the packet
 * parser cannot make: it decodes strings leniently (ill-formed UTF-8 becomes
 * U+FFFD) and accepts some Connect Flags combinations the spec forbids.
 * Each function returns why the frame must be refused, or undefined; a
 * truncated frame is left to the parser to report.
 */

/** Reads the frame as a cursor; `undefined` results mean "ran past the end". */
class Cursor {
  constructor(
    readonly buf: Buffer,
    public at: number,
  ) {}
  get left(): number {
    return this.buf.length - this.at;
  }
  byte(): number | undefined {
    return this.at < this.buf.length ? (this.buf[this.at++] as number) : undefined;
  }
  u16(): number | undefined {
    if (this.left < 2) return undefined;
    const v = this.buf.readUInt16BE(this.at);
    this.at += 2;
    return v;
  }
  varInt(): number | undefined {
    let value = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      const b = this.byte();
      if (b === undefined) return undefined;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
    return undefined;
  }
  /** Length-prefixed bytes (strings and binary data). */
  field(): Buffer | undefined {
    const len = this.u16();
    if (len === undefined || this.left < len) return undefined;
    const b = this.buf.subarray(this.at, this.at + len);
    this.at += len;
    return b;
  }
  skip(n: number | undefined): boolean {
    if (n === undefined || this.left < n) return false;
    this.at += n;
    return true;
  }
}

/** A cursor after the fixed header. */
function body(frame: Buffer): Cursor {
  const c = new Cursor(frame, 1);
  c.varInt();
  return c;
}

/** Well-formed UTF-8 without U+0000 [MQTT-1.5.3-1] [MQTT-1.5.3-2] [MQTT-1.5.4-1] [MQTT-1.5.4-2]. */
function stringProblem(what: string, s: Buffer): string | undefined {
  if (!isUtf8(s)) return `${what} is not valid UTF-8`;
  if (s.includes(0)) return `${what} contains U+0000`;
  return undefined;
}

/** CONNECT: strings of the payload and Connect Flags combinations the parser lets through. */
export function connectProblem(frame: Buffer): string | undefined {
  const c = body(frame);
  const name = c.field()?.toString('latin1');
  const level = c.byte();
  const flags = c.byte();
  if ((name !== 'MQTT' && name !== 'MQIsdp') || level === undefined || flags === undefined) return undefined;
  if (level < 3 || level > 5) return undefined; // answered with CONNACK 0x01 [MQTT-3.1.2-2]
  const will = (flags & 0x04) !== 0;
  if (((flags >> 3) & 3) === 3) return 'will QoS 3'; // [MQTT-3.1.2-14]
  // 3.1.1 only: MQTT 5 allows a password without a user name.
  if (level < 5 && (flags & 0xc0) === 0x40) return 'password flag without user name flag'; // [MQTT-3.1.2-22]
  if (!c.skip(2)) return undefined; // keep-alive
  if (level === 5 && !c.skip(c.varInt())) return undefined;
  const clientId = c.field();
  if (clientId === undefined) return undefined;
  const bad = stringProblem('client id', clientId); // [MQTT-3.1.3-4]
  if (bad) return bad;
  if (will) {
    if (level === 5 && !c.skip(c.varInt())) return undefined;
    const topic = c.field();
    if (topic === undefined) return undefined;
    const badTopic = stringProblem('will topic', topic); // [MQTT-3.1.3-10]
    if (badTopic) return badTopic;
    if (c.field() === undefined) return undefined;
  }
  if ((flags & 0x80) !== 0) {
    const user = c.field();
    if (user === undefined) return undefined;
    const badUser = stringProblem('user name', user); // [MQTT-3.1.3-11]
    if (badUser) return badUser;
  }
  if ((flags & 0x40) !== 0 && c.field() === undefined) return undefined;
  // A field whose flag is 0 must not be there [MQTT-3.1.2-18] [MQTT-3.1.2-20]: bytes left over.
  return c.left > 0 ? 'CONNECT has bytes after its last field' : undefined;
}

/** PUBLISH with QoS 1 or 2: the packet identifier must not be 0 [MQTT-2.3.1-1] [MQTT-2.2.1-3]. */
export function publishIdProblem(frame: Buffer): string | undefined {
  if ((((frame[0] as number) >> 1) & 3) === 0) return undefined;
  // On every QoS 1/2 PUBLISH: plain offsets, no Cursor.
  let i = 1;
  while (i < frame.length && ((frame[i] as number) & 0x80) !== 0) i++;
  i++;
  if (i + 2 > frame.length) return undefined;
  i += 2 + frame.readUInt16BE(i); // topic
  if (i + 2 > frame.length) return undefined;
  return frame.readUInt16BE(i) === 0 ? 'PUBLISH with QoS > 0 has packet identifier 0' : undefined;
}

/** SUBSCRIBE (type 8) and UNSUBSCRIBE (type 10): a non-zero packet identifier [MQTT-2.3.1-1]; every topic filter must be a valid string [MQTT-3.8.3-1] [MQTT-3.10.3-1]. */
export function filtersProblem(frame: Buffer, version: number): string | undefined {
  const subscribe = (frame[0] as number) >> 4 === 8;
  const c = body(frame);
  const id = c.u16();
  if (id === undefined) return undefined;
  if (id === 0) return `${subscribe ? 'SUBSCRIBE' : 'UNSUBSCRIBE'} has packet identifier 0`;
  if (version === 5 && !c.skip(c.varInt())) return undefined;
  while (c.left > 0) {
    const filter = c.field();
    if (filter === undefined) return undefined;
    const bad = stringProblem('topic filter', filter);
    if (bad) return bad;
    if (subscribe && !c.skip(1)) return undefined;
  }
  return undefined;
}
