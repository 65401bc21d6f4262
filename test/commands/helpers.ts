/**
 * Shared tools of the command tests: the REST shapes, MQTT.js devices that
 * record (and optionally answer) their commands, a raw device for exact
 * PUBACK reason codes, a light fleet client for group sends, and a small
 * live-stream client.
 */
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import mqttPacket, {
  type IConnackPacket,
  type IPubackPacket,
  type IPublishPacket,
  type Packet,
} from 'mqtt-packet';
import WebSocket from 'ws';
import type { TestApp } from '../helpers/app.js';
import { type Client, client, type Reply } from '../helpers/http.js';
import type { TestDevice } from '../helpers/mqtt.js';
import { collect, deviceOpts, RawClient, type Received, usernameOf } from '../helpers/mqtt-extra.js';

export const PAYLOAD_FORMAT_INVALID = 0x99;
export const NOT_AUTHORIZED = 0x87;

export type Status =
  | 'queued'
  | 'sent'
  | 'delivered'
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'expired'
  | 'cancelled';

/** A command as the operator API answers it. */
export interface Command {
  readonly id: string;
  readonly device: string;
  readonly name: string;
  readonly params: Record<string, unknown>;
  readonly oneWay: boolean;
  readonly status: Status;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly timeoutMs: number;
  readonly sentAt?: number;
  readonly deliveredAt?: number;
  readonly completedAt?: number;
  readonly result?: unknown;
  readonly error?: unknown;
  readonly actor: string;
  readonly batch?: string;
}

/** The answer of a group send. */
export interface BatchCreated {
  readonly id: string;
  readonly total: number;
  readonly items: { device: string; commandId: string; status: Status }[];
}

export interface BatchSummary {
  readonly id: string;
  readonly name: string;
  readonly target: Record<string, unknown>;
  readonly total: number;
  readonly createdAt: number;
  readonly counts: Partial<Record<Status, number>>;
}

/** What a device receives on devices/{id}/commands/{cmdId} and from the HTTP poll. */
export interface CommandDoc {
  readonly id: string;
  readonly name: string;
  readonly params: Record<string, unknown>;
}

export const commandsFilter = (device: string) => `devices/${device}/commands/+`;
export const commandTopic = (device: string, cmd: string) => `devices/${device}/commands/${cmd}`;
export const resultTopic = (device: string, cmd: string) => `devices/${device}/commands/${cmd}/result`;

/** POST /api/v1/devices/{id}/commands (any status: the caller asserts). */
export const postCommand = (api: Client, device: string, body: unknown, query = '') =>
  api.post<Command>(`/api/v1/devices/${encodeURIComponent(device)}/commands${query}`, body);

/** Sends a command, expecting 201; returns it. */
export async function send(
  api: Client,
  device: string,
  body: Record<string, unknown>,
  query = '',
): Promise<Command> {
  const r = await postCommand(api, device, body, query);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

/** GET /api/v1/commands/{id} (with ?wait= when given), expecting 200. */
export async function getCommand(api: Client, id: string, wait?: string): Promise<Command> {
  const r = await api.get<Command>(
    `/api/v1/commands/${encodeURIComponent(id)}${wait === undefined ? '' : `?wait=${wait}`}`,
  );
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

/** A list answer's items, expecting 200. */
export async function listCommands(api: Client, path: string): Promise<Command[]> {
  const r = await api.get<{ items: Command[]; next?: string }>(path);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.items;
}

/** Asserts sentAt ≤ deliveredAt ≤ completedAt, all present, within [from, to]. */
export function assertTimeline(c: Command, from: number, to: number): void {
  const { createdAt, sentAt, deliveredAt, completedAt } = c;
  assert.ok(
    sentAt !== undefined && deliveredAt !== undefined && completedAt !== undefined,
    `all three times are set: ${JSON.stringify(c)}`,
  );
  assert.ok(
    from <= createdAt && createdAt <= sentAt && sentAt <= deliveredAt && deliveredAt <= completedAt,
    `createdAt ≤ sentAt ≤ deliveredAt ≤ completedAt: ${JSON.stringify(c)}`,
  );
  assert.ok(completedAt <= to, `completedAt ${completedAt} after ${to}`);
}

/** The command documents among received messages, in order of arrival. */
export function docsOf(got: readonly Received[], device: string): CommandDoc[] {
  const prefix = `devices/${device}/commands/`;
  return got.filter((m) => m.topic.startsWith(prefix)).map((m) => JSON.parse(m.payload) as CommandDoc);
}

/**
 * MQTT.js as a device, recording messages from the first packet on (a
 * resumed session's queued messages may arrive in the same read as the
 * CONNACK).
 */
export async function mqttDevice(
  app: TestApp,
  d: TestDevice,
  opts: IClientOptions = {},
): Promise<{ c: MqttClient; got: Received[]; connack: IConnackPacket }> {
  const c = mqtt.connect(`mqtt://127.0.0.1:${app.mqttPort}`, {
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...deviceOpts(d),
    ...opts,
  });
  const got = collect(c);
  const connack = await new Promise<IConnackPacket>((resolve, reject) => {
    c.once('connect', resolve);
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
  });
  return { c, got, connack };
}

/**
 * Answers every command the client receives (on MQTT 5 via the Response
 * Topic and Correlation Data of the PUBLISH, on 3.1.1 via `{topic}/result`)
 * once its PUBACK went out; `answer` returns the result document.
 */
export function answerCommands(
  c: MqttClient,
  answer: (cmd: CommandDoc) => unknown,
  onAnswered?: (cmd: CommandDoc, err: Error | undefined) => void,
): void {
  c.on('message', (topic, payload, packet) => {
    if (!/\/commands\/[^/]+$/.test(topic)) return;
    const cmd = JSON.parse(payload.toString()) as CommandDoc;
    const props = packet.properties;
    const to = props?.responseTopic ?? `${topic}/result`;
    const publishOpts =
      props?.correlationData === undefined
        ? { qos: 1 as const }
        : { qos: 1 as const, properties: { correlationData: props.correlationData } };
    // After the PUBACK (MQTT.js sends it once the 'message' listeners ran), as a real device would.
    setImmediate(() =>
      c.publish(to, JSON.stringify(answer(cmd)), publishOpts, (err) => onAnswered?.(cmd, err ?? undefined)),
    );
  });
}

/** A raw mqtt-packet device (MQTT 5 unless told) logged in with its id and secret. */
export async function rawDevice(app: TestApp, d: TestDevice, version: 4 | 5 = 5): Promise<RawClient> {
  const { client: c } = await RawClient.login(app.mqttPort, version, {
    clientId: d.id,
    username: usernameOf(d),
    password: d.secret,
  });
  return c;
}

let nextMessageId = 1;

/** A QoS 1 PUBLISH from a raw client; resolves with the PUBACK's reason code and string. */
export async function publishQos1(
  c: RawClient,
  topic: string,
  payload: string | Buffer,
  properties?: IPublishPacket['properties'],
): Promise<{ code: number; reason: string | undefined }> {
  const messageId = nextMessageId++;
  if (nextMessageId > 60_000) nextMessageId = 1;
  c.publish(topic, payload, { qos: 1, messageId, ...(properties ? { properties } : {}) });
  const ack = await c.next<IPubackPacket>((p) => p.cmd === 'puback' && p.messageId === messageId);
  return { code: ack.reasonCode ?? 0, reason: ack.properties?.reasonString };
}

/** `Authorization: Basic` for a device. */
export const basicOf = (d: TestDevice) =>
  `Basic ${Buffer.from(`${usernameOf(d)}:${d.secret}`).toString('base64')}`;

/** A device HTTP request (JSON body as a string, sent as is). */
export async function deviceHttp(
  app: TestApp,
  d: TestDevice,
  method: 'GET' | 'POST',
  path: string,
  body?: string,
  signal?: AbortSignal,
): Promise<Reply<Record<string, unknown>>> {
  const headers: Record<string, string> = { authorization: basicOf(d) };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${app.url}/device/v1${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
    ...(signal ? { signal } : {}),
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { text };
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** A bearer token for the live stream. */
export async function tokenOf(app: TestApp): Promise<string> {
  const r = await client(app.url).post<{ token: string }>('/api/v1/auth/login', {
    username: app.admin.username,
    password: app.admin.password,
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.token;
}

type Msg = { readonly type: string } & Record<string, unknown>;

/** A live-stream client that records every message and lets a test wait for one. */
export class Stream {
  readonly ws: WebSocket;
  readonly all: Msg[] = [];
  #waiters: { match: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  #inbox: Msg[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Msg;
      this.all.push(m);
      const i = this.#waiters.findIndex((w) => w.match(m));
      if (i >= 0) this.#waiters.splice(i, 1)[0]?.resolve(m);
      else this.#inbox.push(m);
    });
  }

  /** Opens a stream with `Authorization: Bearer` and waits for `ready`. */
  static async open(app: TestApp, token: string): Promise<Stream> {
    const ws = new WebSocket(`${app.url.replace(/^http/, 'ws')}/api/v1/stream`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const s = new Stream(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await s.next((m) => m.type === 'ready');
    return s;
  }

  next(match: (m: Msg) => boolean, timeoutMs = 3000): Promise<Msg> {
    const i = this.#inbox.findIndex(match);
    if (i >= 0) return Promise.resolve(this.#inbox.splice(i, 1)[0] as Msg);
    return new Promise((resolve, reject) => {
      const w = {
        match,
        resolve: (m: Msg) => {
          clearTimeout(t);
          resolve(m);
        },
      };
      const t = setTimeout(() => {
        this.#waiters = this.#waiters.filter((x) => x !== w);
        reject(new Error(`no matching stream message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  async subscribe(devices: string[] | '*', kinds: string[]): Promise<void> {
    this.ws.send(JSON.stringify({ type: 'subscribe', devices, kinds }));
    const ack = await this.next((m) => m.type === 'subscribed' || m.type === 'error');
    assert.equal(ack.type, 'subscribed', JSON.stringify(ack));
  }

  close(): void {
    this.ws.close();
  }
}

/**
 * A light MQTT 5 device for fleet tests (no MQTT.js per device): logs in,
 * subscribes to its commands with QoS 1, acknowledges each command and
 * answers `{"ok":true}` with QoS 1 on the Response Topic, recording what it
 * received and the reason codes of the PUBACKs to its answers.
 */
export class FleetDevice {
  readonly socket: Socket;
  readonly id: string;
  /** Commands received: id, name and arrival time (performance.now()). */
  readonly received: { id: string; name: string; at: number }[] = [];
  /** Reason codes of the PUBACKs of the answers. */
  readonly answerAcks: number[] = [];
  #nextId = 1;
  #onPacket: ((p: Packet) => void) | undefined;

  private constructor(socket: Socket, id: string) {
    this.socket = socket;
    this.id = id;
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    parser.on('packet', (p: Packet) => this.#handle(p));
    socket.on('data', (b) => parser.parse(b));
    socket.on('error', () => {});
  }

  static async connect(port: number, d: TestDevice): Promise<FleetDevice> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = netConnect(port, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
    const dev = new FleetDevice(socket, d.id);
    const connack = dev.#expect('connack');
    dev.#send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clean: true,
      clientId: d.id,
      keepalive: 60,
      username: usernameOf(d),
      password: Buffer.from(d.secret),
    });
    const ca = (await connack) as { reasonCode?: number };
    if ((ca.reasonCode ?? 0) !== 0) throw new Error(`${d.id}: CONNACK ${ca.reasonCode}`);
    const suback = dev.#expect('suback');
    dev.#send({
      cmd: 'subscribe',
      messageId: dev.#nextId++,
      subscriptions: [{ topic: commandsFilter(d.id), qos: 1 }],
    });
    const granted = ((await suback) as { granted: number[] }).granted;
    if (granted[0] !== 1) throw new Error(`${d.id}: SUBACK ${JSON.stringify(granted)}`);
    return dev;
  }

  #send(p: Packet): void {
    this.socket.write(mqttPacket.generate(p, { protocolVersion: 5 }));
  }

  #expect(cmd: string, timeoutMs = 5000): Promise<Packet> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.id}: no ${cmd}`)), timeoutMs);
      this.#onPacket = (p) => {
        if (p.cmd !== cmd) return;
        clearTimeout(t);
        this.#onPacket = undefined;
        resolve(p);
      };
    });
  }

  #handle(p: Packet): void {
    this.#onPacket?.(p);
    if (p.cmd === 'publish') {
      const doc = JSON.parse(p.payload.toString()) as CommandDoc;
      this.received.push({ id: doc.id, name: doc.name, at: performance.now() });
      if (p.qos > 0) this.#send({ cmd: 'puback', messageId: p.messageId as number });
      const id = this.#nextId++;
      this.#send({
        cmd: 'publish',
        topic: p.properties?.responseTopic ?? `${p.topic}/result`,
        payload: Buffer.from('{"ok":true}'),
        qos: 1,
        messageId: id,
        dup: false,
        retain: false,
        ...(p.properties?.correlationData
          ? { properties: { correlationData: p.properties.correlationData } }
          : {}),
      });
    } else if (p.cmd === 'puback') {
      this.answerAcks.push(p.reasonCode ?? 0);
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.end(mqttPacket.generate({ cmd: 'disconnect' }, { protocolVersion: 5 }));
      setTimeout(() => this.socket.destroy(), 1000).unref();
    });
  }
}
