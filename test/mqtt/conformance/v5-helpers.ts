/**
 * Shared set-up of the MQTT 5.0 conformance tests: one platform per file, an
 * operator API key (it may publish and subscribe any non-$ topic of its
 * tenant under any client id) and raw clients logged in with it.
 */
import assert from 'node:assert/strict';
import type { IConnectPacket, IPublishPacket, Packet } from 'mqtt-packet';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import type { Client } from '../../helpers/http.js';
import { adminClient } from '../../helpers/mqtt.js';
import { connectPacket, createApiKey, RawMqtt } from '../../helpers/raw-mqtt.js';

export const RC = {
  MALFORMED: 0x81,
  PROTOCOL_ERROR: 0x82,
  SESSION_TAKEN_OVER: 0x8e,
  TOPIC_FILTER_INVALID: 0x8f,
  TOPIC_NAME_INVALID: 0x90,
  TOPIC_ALIAS_INVALID: 0x94,
  PACKET_TOO_LARGE: 0x95,
} as const;

/** Reason codes MQTT 5 defines per packet (§3.x.2.1 tables). */
export const REASON_CODES = {
  connack: [
    0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99,
    0x9a, 0x9b, 0x9c, 0x9d, 0x9f,
  ],
  puback: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  pubrec: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  pubrel: [0x00, 0x92],
  pubcomp: [0x00, 0x92],
  suback: [0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2],
  unsuback: [0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91],
  disconnect: [
    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96,
    0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2,
  ],
} as const;

export interface V5Env {
  readonly app: TestApp;
  readonly api: Client;
  readonly key: string;
  /** A fresh client id (unique in this process). */
  id(prefix?: string): string;
  /** A raw MQTT 5 client logged in with the API key; `connect` overrides CONNECT fields. */
  login(connect?: Partial<IConnectPacket>): Promise<RawMqtt>;
  /** An open, not yet connected, raw MQTT 5 connection. */
  open(): Promise<RawMqtt>;
  /** The CONNECT packet `login` would send. */
  connectOf(extra?: Partial<IConnectPacket>): IConnectPacket;
  stop(): Promise<void>;
}

let counter = 0;

export async function startV5(env: Record<string, string> = {}): Promise<V5Env> {
  const app = await startTestApp({ env: { PLEXUS_MQTT_CONNECTIONS_PER_SECOND: '1000', ...env } });
  const api = await adminClient(app);
  const key = await createApiKey(api, `c5-${Math.random().toString(36).slice(2, 8)}`, 'operator');
  const id = (prefix = 'c5') => `${prefix}-${++counter}-${Math.random().toString(36).slice(2, 6)}`;
  const connectOf = (extra: Partial<IConnectPacket> = {}) =>
    connectPacket(undefined, 5, {
      clientId: id(),
      username: 'apikey',
      password: Buffer.from(key),
      ...extra,
    });
  return {
    app,
    api,
    key,
    id,
    connectOf,
    open: () => RawMqtt.open(app.mqttPort, { protocolVersion: 5 }),
    async login(connect = {}) {
      const c = await RawMqtt.open(app.mqttPort, { protocolVersion: 5 });
      c.send(connectOf(connect));
      const ack = await c.next('connack');
      assert.ok(ack?.cmd === 'connack', 'no CONNACK');
      assert.equal(ack.reasonCode, 0, `CONNACK ${JSON.stringify(ack)}`);
      return c;
    },
    stop: () => app.stop(),
  };
}

/** Every byte the broker sends on `c` from now on. */
export function tap(c: RawMqtt): Buffer[] {
  const chunks: Buffer[] = [];
  c.socket.on('data', (b: Buffer) => chunks.push(b));
  return chunks;
}

/** Splits a byte stream into frames: [first byte, body]. */
export function frames(chunks: Buffer[]): { first: number; body: Buffer }[] {
  const all = Buffer.concat(chunks);
  const out: { first: number; body: Buffer }[] = [];
  let i = 0;
  while (i < all.length) {
    const first = all[i++] as number;
    let len = 0;
    let mult = 1;
    for (;;) {
      const b = all[i++] as number;
      len += (b & 0x7f) * mult;
      mult *= 128;
      if ((b & 0x80) === 0) break;
    }
    out.push({ first, body: all.subarray(i, i + len) });
    i += len;
  }
  return out;
}

/** Waits until `c` has received `n` PUBLISH packets (or fails). */
export async function publishesOf(c: RawMqtt, n: number, timeoutMs = 2000): Promise<IPublishPacket[]> {
  const ok = await c.until(() => c.publishes().length >= n, timeoutMs);
  assert.ok(ok, `expected ${n} PUBLISH packets, got ${c.publishes().length}`);
  return c.publishes();
}

/** True if no PUBLISH beyond the first `n` arrives within `ms` (used after a marker message proved routing). */
export async function noMorePublishes(c: RawMqtt, n: number, ms = 300): Promise<boolean> {
  return !(await c.until(() => c.publishes().length > n, ms));
}

/** The next packet of `cmd` (fails if none arrives). */
export async function expect<T extends Packet>(c: RawMqtt, cmd: Packet['cmd'], timeoutMs = 2000): Promise<T> {
  const p = await c.next(cmd, timeoutMs);
  assert.ok(p, `no ${cmd} arrived`);
  return p as T;
}

/** Subscribes with full control of the options; returns the SUBACK codes. */
export async function sub(
  c: RawMqtt,
  subscriptions: { topic: string; qos: 0 | 1 | 2; nl?: boolean; rap?: boolean; rh?: number }[],
  properties?: Record<string, unknown>,
  messageId = 1 + Math.floor(Math.random() * 60000),
): Promise<number[]> {
  c.send({ cmd: 'subscribe', messageId, subscriptions, ...(properties ? { properties } : {}) } as Packet);
  const ack = await c.next('suback');
  assert.ok(ack?.cmd === 'suback', 'no SUBACK');
  assert.equal(ack.messageId, messageId);
  return ack.granted as number[];
}
