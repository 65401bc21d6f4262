import type { Duplex } from 'node:stream';
import mqttPacket, { type Packet } from 'mqtt-packet';
import type { Broker } from './broker.js';
import { decodeAck, decodePublish311 } from './fast-path.js';
import { Framer } from './framer.js';
import { dispatch } from './handlers/index.js';
import { RC } from './reason-codes.js';
import type { Session } from './session.js';
import type { Traffic } from './traffic.js';
import { wireProblem } from './wire-check.js';

export interface ConnectionMeta {
  /** Client address, for rate limits and logs. */
  readonly address: string;
  readonly transport: 'tcp' | 'tls' | 'ws';
}

/** A read this large probably left more data in the socket: yield to other connections. */
const YIELD_CHUNK_BYTES = 16 * 1024;
/** Pending output of this size is sent at once rather than at the end of the event-loop turn. */
const FLUSH_NOW_BYTES = 16 * 1024;
/** Pending output up to this size is joined into one buffer; larger goes out as a corked writev. */
const CONCAT_MAX_BYTES = 64 * 1024;

/**
 * One network connection: bytes in → frames → packets → handlers, and
 * packets out. Protocol state that lives only as long as the connection
 * (version, keep-alive, topic aliases, flow-control windows) is here; what
 * outlives it is in the Session.
 */
export class Connection {
  readonly broker: Broker;
  readonly stream: Duplex;
  readonly meta: ConnectionMeta;
  state: 'new' | 'connecting' | 'connected' | 'closed' = 'new';
  protocolVersion: 3 | 4 | 5 = 4;
  session: Session | undefined;
  /** Keep-alive in seconds as agreed (0 = none). */
  keepalive = 0;
  lastPacketAt = Date.now();
  /** Topic aliases the client set up (alias → topic) and our limit for them. */
  /** Created on first use: most devices never use aliases, and idle connections should cost little. */
  #aliasesIn: Map<number, string> | undefined;
  /** Topic aliases we set up towards the client (topic → alias), up to its Topic Alias Maximum. */
  #aliasesOut: Map<string, number> | undefined;
  aliasMaxOut = 0;
  /** The client's Receive Maximum: QoS 1/2 messages we may have unacknowledged with it. */
  receiveMaximumOut = 65535;
  /** The client's Maximum Packet Size: larger messages are not sent to it [MQTT-3.3.4-7]. */
  maxPacketSizeOut = Number.MAX_SAFE_INTEGER;
  /** MQTT 5 Request Problem Information: reason strings may be sent only if true. */
  problemInfo = true;
  /** QoS 1 PUBLISHes received and not yet acknowledged (with the session's QoS 2 ids: our Receive Maximum). */
  incomingUnacked = 0;
  /**
   * QoS 1/2 acknowledgements waiting for an earlier one: PUBACK/PUBREC must
   * go out in the order the PUBLISHes came [MQTT-4.6.0-2/3], and device data
   * is acknowledged only after its commit. `#ackBase` numbers the first slot.
   */
  #acks: ((() => void) | null)[] = [];
  #ackBase = 0;
  /** Set by handlers that must not read more until a slow operation finishes. */
  #paused = 0;
  readonly #framer: Framer;
  readonly #held: Buffer[] = [];
  #heldPos = 0;
  #framerError: string | undefined;
  #yielding = false;
  /** Output not yet handed to the socket (sent by the broker's flush queue). */
  #out: Buffer[] = [];
  #outBytes = 0;
  #closeReason: string | undefined;
  /** The tenant's traffic counters, once authenticated ($SYS). */
  traffic: Traffic | undefined;

  constructor(broker: Broker, stream: Duplex, meta: ConnectionMeta) {
    this.broker = broker;
    this.stream = stream;
    this.meta = meta;
    this.#framer = new Framer(broker.config.maxPacketSize);
    stream.on('data', (chunk: Buffer) => this.#onData(chunk));
    stream.on('error', (err: Error) => this.#onClose(`socket error: ${err.message}`));
    stream.on('close', () => this.#onClose('socket closed'));
    stream.on('end', () => stream.end());
  }

  #onData(chunk: Buffer): void {
    if (this.closed) return;
    this.lastPacketAt = Date.now();
    if (this.traffic) this.traffic.bytesIn += chunk.length;
    const { frames, error, size } = this.#framer.push(chunk);
    for (const f of frames) this.#held.push(f);
    if (error) this.#framerError = error === 'too-large' ? `too-large:${size}` : error;
    this.#process();
    // Fairness: a connection whose chunk filled the read buffer (it has more
    // waiting) gets one chunk per event-loop turn; Node would otherwise hand
    // us many chunks of one flooding socket before any other connection gets
    // a turn. Smaller chunks mean the socket is drained, so nothing to yield
    // (and pausing costs two epoll calls per read).
    if (chunk.length >= YIELD_CHUNK_BYTES && !this.closed && !this.#yielding) {
      this.#yielding = true;
      this.stream.pause();
      setImmediate(() => {
        this.#yielding = false;
        if (this.#paused === 0 && !this.closed) this.stream.resume();
      });
    }
  }

  /** Handles held frames in order until done, paused or closed. */
  #process(): void {
    while (this.#heldPos < this.#held.length) {
      if (this.closed || this.#paused > 0) return;
      const frame = this.#held[this.#heldPos++] as Buffer;
      // What the parser would let through: bad UTF-8, repeated properties, forbidden fields (wire-check.ts).
      const problem = wireProblem(frame, this.protocolVersion);
      if (problem !== undefined) {
        const malformed = problem.code === RC.MALFORMED_PACKET;
        this.protocolError(problem.code, malformed ? `malformed packet: ${problem.what}` : problem.what);
        return;
      }
      const fast =
        decodeAck(frame) ??
        (this.protocolVersion !== 5 && this.state === 'connected' ? decodePublish311(frame) : undefined);
      if (fast) {
        this.handle(fast);
        continue;
      }
      const parsed = this.broker.frameParser.parse(frame, this.protocolVersion);
      if ('packet' in parsed) this.handle(parsed.packet);
      else this.#parseError(parsed.error);
    }
    this.#held.length = 0;
    this.#heldPos = 0;
    const error = this.#framerError;
    if (error === undefined || this.closed) return;
    if (error.startsWith('too-large:')) {
      const size = error.slice('too-large:'.length);
      this.protocolError(
        RC.PACKET_TOO_LARGE,
        `packet of ${size} bytes exceeds the maximum of ${this.#framer.maxPacketSize}`,
      );
    } else {
      this.protocolError(RC.MALFORMED_PACKET, 'malformed remaining length');
    }
  }

  /** Handles one parsed packet. */
  handle(packet: Packet): void {
    if (this.state === 'closed') return;
    try {
      dispatch(this, packet);
    } catch (err) {
      this.broker.log.error({ err, client: this.session?.clientId, cmd: packet.cmd }, 'MQTT handler failed');
      this.protocolError(RC.IMPLEMENTATION_SPECIFIC_ERROR, 'internal error');
    }
  }

  #parseError(message: string): void {
    if (this.state === 'new' && message === 'Invalid protocol version') {
      // [MQTT-3.1.2-2]: answer in the 3.1.1 form every version understands, then close.
      this.write({ cmd: 'connack', sessionPresent: false, returnCode: 1 });
      this.close(RC.UNSUPPORTED_PROTOCOL_VERSION, 'unsupported protocol version');
      return;
    }
    this.protocolError(RC.MALFORMED_PACKET, `malformed packet: ${message}`);
  }

  get aliasesIn(): Map<number, string> {
    this.#aliasesIn ??= new Map();
    return this.#aliasesIn;
  }

  get aliasesOut(): Map<string, number> {
    this.#aliasesOut ??= new Map();
    return this.#aliasesOut;
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /** Called by the CONNECT handler once the version is known. */
  setProtocolVersion(v: 3 | 4 | 5): void {
    this.protocolVersion = v;
  }

  /**
   * Writes one packet; writes in the same tick are batched into one
   * syscall. Returns false when nothing was written (closed, larger than
   * the client's maximum, or not encodable).
   */
  write(packet: Packet): boolean {
    if (this.state === 'closed') return false;
    let buf: Buffer;
    try {
      buf = mqttPacket.generate(packet, { protocolVersion: this.protocolVersion });
    } catch (err) {
      // Inputs are validated on arrival; this is the last line of defence.
      this.broker.log.error({ err, cmd: packet.cmd }, 'MQTT packet could not be encoded');
      return false;
    }
    if (buf.length > this.maxPacketSizeOut) {
      // Reason String and User Properties go first, so the packet itself still fits
      // [MQTT-3.2.2-19/20] [MQTT-3.4.2-2/3] [MQTT-3.9.2-1/2] [MQTT-3.14.2-3/4].
      const lean = withoutDiagnostics(packet);
      return lean ? this.write(lean) : false;
    }
    return this.writeRaw(buf);
  }

  /** Writes encoded bytes; everything written in one event-loop turn goes out in one syscall. */
  writeRaw(buf: Buffer): boolean {
    if (this.state === 'closed') return false;
    if (this.#out.length === 0) this.broker.flushQueue.add(this);
    if (this.traffic) this.traffic.bytesOut += buf.length;
    this.#out.push(buf);
    this.#outBytes += buf.length;
    // A burst (one read of a flooding publisher fans out hundreds of
    // messages) goes out now, so the peer and the kernel work in parallel
    // with us instead of waiting for the end of the turn.
    if (this.#outBytes >= FLUSH_NOW_BYTES) this.flush();
    return true;
  }

  #pausedForAcks = false;

  /** Stops reading until acknowledgements catch up (MQTT 3.1.1 has no Receive Maximum). */
  pauseForAcks(): void {
    if (this.#pausedForAcks) return;
    this.#pausedForAcks = true;
    this.pause();
  }

  resumeAfterAcks(): void {
    if (!this.#pausedForAcks) return;
    const unacked = this.incomingUnacked + (this.session?.incomingQos2.size ?? 0);
    if (unacked >= this.broker.config.receiveMaximum) return;
    this.#pausedForAcks = false;
    this.resume();
  }

  /** Reserves the next acknowledgement's place in line; complete it with `completeAck`. */
  reserveAck(): number {
    this.#acks.push(null);
    return this.#ackBase + this.#acks.length - 1;
  }

  /** Sends an acknowledgement now if nothing earlier is pending, else when its turn comes. */
  sendAck(send: () => void): void {
    if (this.#acks.length === 0) send();
    else this.completeAck(this.reserveAck(), send);
  }

  completeAck(slot: number, send: () => void): void {
    const i = slot - this.#ackBase;
    if (i < 0 || i >= this.#acks.length) return;
    this.#acks[i] = send;
    let n = 0;
    while (n < this.#acks.length && this.#acks[n] !== null) {
      (this.#acks[n] as () => void)();
      n++;
    }
    if (n > 0) {
      this.#acks.splice(0, n);
      this.#ackBase += n;
    }
  }

  /** Bytes written but not yet taken by the peer: ours plus the socket's buffer. */
  get bufferedBytes(): number {
    return this.#outBytes + this.stream.writableLength;
  }

  /** Hands buffered output to the socket (called by the flush queue, and before closing). */
  flush(): void {
    const out = this.#out;
    if (out.length === 0 || this.stream.destroyed) return;
    const bytes = this.#outBytes;
    this.#out = [];
    this.#outBytes = 0;
    if (out.length === 1) this.stream.write(out[0]);
    else if (bytes <= CONCAT_MAX_BYTES) this.stream.write(Buffer.concat(out, bytes));
    else {
      this.stream.cork();
      for (const b of out) this.stream.write(b);
      this.stream.uncork();
    }
  }

  /**
   * Stops handling input (rate limits, authentication) until `resume()`;
   * nests. Frames already read wait in order, and the socket is not read,
   * so a sender over its rate is held back by TCP itself.
   */
  pause(): void {
    if (this.#paused++ === 0) this.stream.pause();
  }

  resume(): void {
    if (this.#paused === 0 || --this.#paused > 0 || this.closed) return;
    this.#process();
    if (this.#paused === 0 && !this.#yielding && !this.closed) this.stream.resume();
  }

  /**
   * Ends the connection for a protocol violation or policy: MQTT 5 clients
   * get a DISCONNECT with the reason first [MQTT-4.13.2-1]; 3.1.1 clients
   * are simply disconnected [MQTT-4.8.0-1].
   */
  protocolError(reasonCode: number, reason: string): void {
    this.close(reasonCode, reason);
  }

  close(reasonCode: number, reason: string): void {
    if (this.state === 'closed') return;
    if (this.state === 'connected' && this.protocolVersion === 5) {
      this.write({
        cmd: 'disconnect',
        reasonCode,
        ...(this.problemInfo ? { properties: { reasonString: reason } } : {}),
      });
    }
    this.#closeReason = reason;
    this.flush();
    this.stream.end();
    // Do not wait for a peer that never reads: the socket is gone in a moment either way.
    setTimeout(() => this.stream.destroy(), 1000).unref();
    this.#onClose(reason);
  }

  #onClose(reason: string): void {
    if (this.state === 'closed') return;
    const wasConnected = this.state === 'connected';
    this.state = 'closed';
    this.broker.onConnectionClosed(this, this.#closeReason ?? reason, wasConnected);
  }
}

/** The packet without Reason String and User Properties, or undefined if it has neither (or is a PUBLISH, whose properties are the sender's). */
function withoutDiagnostics(packet: Packet): Packet | undefined {
  if (packet.cmd === 'publish' || !('properties' in packet) || !packet.properties) return undefined;
  const props = packet.properties as Record<string, unknown>;
  if (props.reasonString === undefined && props.userProperties === undefined) return undefined;
  const { reasonString: _r, userProperties: _u, ...rest } = props;
  return { ...packet, properties: rest } as Packet;
}
