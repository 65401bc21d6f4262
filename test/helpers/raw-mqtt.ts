/**
 * A tiny raw-socket MQTT client for tests that need exact bytes on the wire:
 * it writes whatever it is given (packets via mqtt-packet's `generate`, or
 * raw bytes) and records what the broker answers and when it closes.
 */
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import mqttPacket, {
  type IConnackPacket,
  type IConnectPacket,
  type IDisconnectPacket,
  type IPublishPacket,
  type ISubackPacket,
  type Packet,
} from 'mqtt-packet';
import type { Client } from './http.js';
import type { TestDevice } from './mqtt.js';

export type Version = 3 | 4 | 5;

export interface RawOptions {
  readonly host?: string;
  /** Source address, e.g. 127.0.0.2 to appear as another client to per-address limits. */
  readonly localAddress?: string;
  readonly protocolVersion?: Version;
}

export class RawMqtt {
  readonly socket: Socket;
  readonly protocolVersion: Version;
  /** Every packet the broker sent, in order. */
  readonly received: Packet[] = [];
  /** performance.now() at which each packet of `received` arrived. */
  readonly receivedAt: number[] = [];
  /** Set when the broker's bytes could not be parsed (a broker bug). */
  parseError: Error | undefined;
  closed = false;
  closedAt: number | undefined;
  #cursor = 0;
  readonly #waiters = new Set<() => void>();

  private constructor(socket: Socket, protocolVersion: Version) {
    this.socket = socket;
    this.protocolVersion = protocolVersion;
    const parser = mqttPacket.parser({ protocolVersion });
    parser.on('packet', (p: Packet) => {
      this.received.push(p);
      this.receivedAt.push(performance.now());
      this.#notify();
    });
    parser.on('error', (err: Error) => {
      this.parseError = err;
      this.#notify();
    });
    socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    socket.on('error', () => {}); // resets are an expected answer to garbage
    socket.on('close', () => {
      this.closed = true;
      this.closedAt = Date.now();
      this.#notify();
    });
  }

  /** Opens a TCP connection (nothing sent yet). */
  static open(port: number, opts: RawOptions = {}): Promise<RawMqtt> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({
        port,
        host: opts.host ?? '127.0.0.1',
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      });
      socket.setNoDelay(true);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawMqtt(socket, opts.protocolVersion ?? 5));
      });
      socket.once('error', reject);
    });
  }

  /** Opens a connection and logs in as `device`; fails unless CONNACK is a success. */
  static async device(
    port: number,
    device: TestDevice,
    opts: RawOptions & { connect?: Partial<IConnectPacket> } = {},
  ): Promise<RawMqtt> {
    const c = await RawMqtt.open(port, opts);
    const ack = await c.connect(device, opts.connect);
    assert.ok(ack, `no CONNACK for ${device.id}`);
    assert.equal(ack.reasonCode ?? ack.returnCode, 0, `CONNACK for ${device.id}: ${JSON.stringify(ack)}`);
    return c;
  }

  /** Opens a connection and logs in with an API key (user name `apikey`) under `clientId`. */
  static async apiKey(
    port: number,
    key: string,
    clientId: string,
    opts: RawOptions & { connect?: Partial<IConnectPacket> } = {},
  ): Promise<RawMqtt> {
    const c = await RawMqtt.open(port, opts);
    const ack = await c.connect(undefined, {
      clientId,
      username: 'apikey',
      password: Buffer.from(key),
      ...opts.connect,
    });
    assert.equal(ack?.reasonCode ?? ack?.returnCode, 0, `CONNACK for ${clientId}: ${JSON.stringify(ack)}`);
    return c;
  }

  /** Sends CONNECT as `device` (or anonymously) and waits for CONNACK (undefined if closed without one). */
  async connect(
    device: TestDevice | undefined,
    extra: Partial<IConnectPacket> = {},
  ): Promise<IConnackPacket | undefined> {
    this.send(connectPacket(device, this.protocolVersion, extra));
    return (await this.next('connack')) as IConnackPacket | undefined;
  }

  write(bytes: Buffer | Uint8Array | readonly number[]): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    this.socket.write(Buffer.from(bytes as Uint8Array));
  }

  send(packet: Packet): void {
    this.write(mqttPacket.generate(packet, { protocolVersion: this.protocolVersion }));
  }

  /** Waits for the next not-yet-consumed packet (of `cmd`); undefined on close or timeout. */
  async next(cmd?: Packet['cmd'], timeoutMs = 2000): Promise<Packet | undefined> {
    let found: Packet | undefined;
    await this.until(() => {
      while (this.#cursor < this.received.length) {
        const p = this.received[this.#cursor++] as Packet;
        if (!cmd || p.cmd === cmd) {
          found = p;
          return true;
        }
      }
      return this.closed;
    }, timeoutMs);
    return found;
  }

  /** Waits until the broker closes the connection; true if it did within the time. */
  waitClosed(timeoutMs = 2000): Promise<boolean> {
    return this.until(() => this.closed, timeoutMs);
  }

  /**
   * The end of a connection the broker should drop: waits for the close and
   * returns the DISCONNECT reason code it sent first (MQTT 5), if any.
   */
  async dropped(timeoutMs = 2000): Promise<{ closed: boolean; reasonCode: number | undefined }> {
    const closed = await this.waitClosed(timeoutMs);
    const d = this.received.find((p): p is IDisconnectPacket => p.cmd === 'disconnect');
    return { closed, reasonCode: d ? (d.reasonCode ?? 0) : undefined };
  }

  /** Resolves true once `cond()` holds (checked on every packet and on close), false after the timeout. */
  until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
    if (cond()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!cond()) return;
        done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (v: boolean) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(v);
      };
      this.#waiters.add(check);
    });
  }

  /** PUBLISH packets received so far. */
  publishes(): IPublishPacket[] {
    return this.received.filter((p): p is IPublishPacket => p.cmd === 'publish');
  }

  async subscribe(filter: string, qos: 0 | 1 | 2 = 1, messageId = 1): Promise<ISubackPacket | undefined> {
    this.send({ cmd: 'subscribe', messageId, subscriptions: [{ topic: filter, qos }] });
    return (await this.next('suback')) as ISubackPacket | undefined;
  }

  destroy(): void {
    this.socket.destroy();
  }

  #notify(): void {
    for (const w of [...this.#waiters]) w();
  }
}

export function connectPacket(
  device: TestDevice | undefined,
  protocolVersion: Version,
  extra: Partial<IConnectPacket> = {},
): IConnectPacket {
  const packet: IConnectPacket = {
    cmd: 'connect',
    protocolId: protocolVersion === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion,
    clientId: device?.id ?? '',
    clean: true,
    keepalive: 60,
    ...extra,
  };
  if (device && extra.username === undefined) {
    packet.username = device.tenant === 'default' ? device.id : `${device.id}@${device.tenant}`;
    packet.password = Buffer.from(device.secret);
  }
  return packet;
}

/** A PUBLISH packet (QoS 0 unless `extra` says otherwise). */
export function publishPacket(
  topic: string,
  payload: string | Buffer = 'x',
  extra: Partial<IPublishPacket> = {},
): IPublishPacket {
  return {
    cmd: 'publish',
    topic,
    payload: Buffer.from(payload),
    qos: 0,
    retain: false,
    dup: false,
    ...extra,
  };
}

/** Bytes of one packet, for byte-level tampering. */
export function bytes(packet: Packet, protocolVersion: Version = 5): Buffer {
  return mqttPacket.generate(packet, { protocolVersion });
}

/** Encodes an MQTT variable byte integer (remaining length). */
export function varInt(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** A viewer API key (viewers may subscribe anywhere in the tenant). */
export async function createApiKey(api: Client, name: string, role = 'viewer'): Promise<string> {
  const r = await api.post<{ key: string }>('/api/v1/apikeys', { name, role });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.key;
}

/**
 * A control publisher (a device) and subscriber (an API key) that stay
 * connected while other connections misbehave; `check()` proves the broker
 * still routes between them.
 */
export class ControlPair {
  #n = 0;
  #acked = 0;
  private constructor(
    readonly pub: RawMqtt,
    readonly sub: RawMqtt,
    readonly topic: string,
  ) {}

  static async start(port: number, api: Client, opts: RawOptions = {}): Promise<ControlPair> {
    const id = `ctl-${Math.random().toString(36).slice(2, 8)}`;
    const dev = await api.post<{ id: string; secret: string }>('/api/v1/devices', { id });
    assert.equal(dev.status, 201, JSON.stringify(dev.body));
    const key = await createApiKey(api, `${id}-key`);
    const topic = `devices/${id}/telemetry`;
    const sub = await RawMqtt.apiKey(port, key, `${id}-sub`, opts);
    const suback = await sub.subscribe(topic, 1);
    assert.deepEqual(suback?.granted, [1]);
    const pub = await RawMqtt.device(port, { id, secret: dev.body.secret, tenant: 'default' }, opts);
    return new ControlPair(pub, sub, topic);
  }

  /** Publishes a fresh QoS 1 message and asserts the subscriber gets it (and both are still connected). */
  async check(after = 'the attack'): Promise<void> {
    const payload = `ctl-${++this.#n}`;
    assert.ok(!this.pub.closed && !this.sub.closed, `control clients were disconnected by ${after}`);
    this.pub.send(publishPacket(this.topic, payload, { qos: 1, messageId: this.#n }));
    const got = await this.sub.until(
      () => this.sub.publishes().some((p) => p.payload.toString() === payload),
      3000,
    );
    assert.ok(got, `control message did not arrive after ${after}`);
    // Acknowledge what arrived so the broker's in-flight window stays open.
    const all = this.sub.publishes();
    for (const p of all.slice(this.#acked)) {
      if (p.qos > 0 && p.messageId !== undefined) this.sub.send({ cmd: 'puback', messageId: p.messageId });
    }
    this.#acked = all.length;
  }

  close(): void {
    this.pub.destroy();
    this.sub.destroy();
  }
}

/** A packet from its first byte and body, with the remaining length computed. */
export function frame(first: number, ...body: (Buffer | readonly number[])[]): Buffer {
  const b = Buffer.concat(body.map((x) => Buffer.from(x as Uint8Array)));
  return Buffer.concat([Buffer.from([first, ...varInt(b.length)]), b]);
}

/** An MQTT string (or binary data): 2-byte length, then the bytes as given. */
export function str(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}
