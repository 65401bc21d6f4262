/**
 * Extra MQTT test tools: a raw mqtt-packet client that does exactly what a
 * test says (no automatic acks, pings or reconnects), API keys, tenants,
 * message collectors and the mosquitto command-line clients.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import mqttPacket, {
  type IConnackPacket,
  type IConnectPacket,
  type IDisconnectPacket,
  type Packet,
  type IPublishPacket as RawPublish,
} from 'mqtt-packet';
import type { TestApp } from './app.js';
import { type Client, login } from './http.js';
import type { TestDevice } from './mqtt.js';

/** Resolves once `cond()` is true; rejects after `timeoutMs`. */
export async function waitUntil(cond: () => boolean, timeoutMs = 2000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function usernameOf(d: TestDevice): string {
  return d.tenant === 'default' ? d.id : `${d.id}@${d.tenant}`;
}

/** MQTT.js options that log in as a device. */
export function deviceOpts(d: TestDevice): IClientOptions {
  return { clientId: d.id, username: usernameOf(d), password: d.secret };
}

/** Creates an API key in the client's tenant; returns its id and key. */
export async function createApiKey(
  api: Client,
  role: 'admin' | 'operator' | 'viewer',
  name = `k-${role}-${Math.random().toString(36).slice(2, 8)}`,
): Promise<{ id: string; key: string }> {
  const r = await api.post<{ id: string; key: string }>('/api/v1/apikeys', { name, role });
  if (r.status !== 201) throw new Error(`apikey create failed: ${r.status} ${JSON.stringify(r.body)}`);
  return { id: r.body.id, key: r.body.key };
}

/** MQTT.js options for a program logging in with an API key. */
export function keyOpts(key: string, tenant = 'default', clientId?: string): IClientOptions {
  return {
    username: tenant === 'default' ? 'apikey' : `apikey@${tenant}`,
    password: key,
    clientId: clientId ?? `prog-${Math.random().toString(36).slice(2, 10)}`,
  };
}

/** Creates a tenant (as the platform admin) and returns an admin client acting in it. */
export async function tenantApi(app: TestApp, api: Client, tenant: string): Promise<Client> {
  const r = await api.post('/api/v1/tenants', { id: tenant });
  if (r.status !== 201) throw new Error(`tenant create failed: ${r.status} ${JSON.stringify(r.body)}`);
  return login(app.url, app.admin.username, app.admin.password, { 'Plexus-Tenant': tenant });
}

export interface Received {
  readonly topic: string;
  readonly payload: string;
  readonly packet: IPublishPacket;
}

/** Every message a client receives from now on, in order. */
export function collect(client: MqttClient): Received[] {
  const out: Received[] = [];
  client.on('message', (topic, payload, packet) => out.push({ topic, payload: payload.toString(), packet }));
  return out;
}

/** Resolves when the client's connection closes; rejects after `timeoutMs`. */
export function closed(client: MqttClient, timeoutMs = 2000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!client.connected) return resolve();
    const t = setTimeout(() => reject(new Error('connection was not closed')), timeoutMs);
    client.once('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** CONNECT fields with the password as a string. */
export type ConnectFields = Partial<Omit<IConnectPacket, 'password'>> & { password?: string };

type Matcher = string | ((p: Packet) => boolean);

/**
 * A bare MQTT client over a TCP socket: sends what it is told and records
 * every packet the broker sends, so tests can see acks, DUP flags, aliases
 * and flow control exactly.
 */
export class RawClient {
  readonly socket: Socket;
  readonly version: 4 | 5;
  /** Packets received and not yet taken by `next`. */
  readonly inbox: Packet[] = [];
  /** Every packet received. */
  readonly all: Packet[] = [];
  readonly closed: Promise<void>;
  isClosed = false;
  #waiters: { match: Matcher; resolve: (p: Packet) => void }[] = [];

  private constructor(socket: Socket, version: 4 | 5) {
    this.socket = socket;
    this.version = version;
    const parser = mqttPacket.parser({ protocolVersion: version });
    parser.on('packet', (p: Packet) => this.#onPacket(p));
    socket.on('data', (b) => parser.parse(b));
    socket.on('error', () => {});
    this.closed = new Promise((r) =>
      socket.on('close', () => {
        this.isClosed = true;
        r();
      }),
    );
  }

  static open(port: number, version: 4 | 5 = 5): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = netConnect(port, '127.0.0.1', () => resolve(new RawClient(s, version)));
      s.once('error', reject);
    });
  }

  /** Opens a socket and logs in; rejects unless CONNACK says success. */
  static async login(
    port: number,
    version: 4 | 5,
    fields: ConnectFields,
  ): Promise<{ client: RawClient; connack: IConnackPacket }> {
    const client = await RawClient.open(port, version);
    const connack = await client.connect(fields);
    const rc = version === 5 ? connack.reasonCode : connack.returnCode;
    if (rc !== 0) throw new Error(`CONNACK refused: ${rc}`);
    return { client, connack };
  }

  #onPacket(p: Packet): void {
    this.all.push(p);
    const i = this.#waiters.findIndex((w) => matches(w.match, p));
    if (i >= 0) {
      const [w] = this.#waiters.splice(i, 1);
      w?.resolve(p);
    } else this.inbox.push(p);
  }

  send(packet: Packet): void {
    this.socket.write(mqttPacket.generate(packet, { protocolVersion: this.version }));
  }

  connect(fields: ConnectFields): Promise<IConnackPacket> {
    const { password, ...rest } = fields;
    this.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: this.version,
      clean: true,
      clientId: '',
      keepalive: 60,
      ...rest,
      ...(password === undefined ? {} : { password: Buffer.from(password) }),
    } as IConnectPacket);
    return this.next('connack') as Promise<IConnackPacket>;
  }

  /** The next packet matching (a command name or a predicate), from the inbox or the wire. */
  next<T extends Packet = Packet>(match: Matcher, timeoutMs = 2000): Promise<T> {
    const i = this.inbox.findIndex((p) => matches(match, p));
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0] as T);
    return new Promise((resolve, reject) => {
      const w = {
        match,
        resolve: (p: Packet) => {
          clearTimeout(t);
          resolve(p as T);
        },
      };
      const t = setTimeout(() => {
        this.#waiters = this.#waiters.filter((x) => x !== w);
        reject(
          new Error(`no ${typeof match === 'string' ? match : 'matching packet'} within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  /** Sends a PUBLISH (QoS 0 unless told). */
  publish(
    topic: string,
    payload: string | Buffer,
    opts: Partial<Pick<RawPublish, 'qos' | 'messageId' | 'dup' | 'retain' | 'properties'>> = {},
  ): void {
    const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
    this.send({
      cmd: 'publish',
      topic,
      payload: body,
      qos: 0,
      dup: false,
      retain: false,
      ...opts,
    } as RawPublish);
  }

  /** The DISCONNECT the broker sent, if any. */
  disconnectPacket(): IDisconnectPacket | undefined {
    return this.all.find((p): p is IDisconnectPacket => p.cmd === 'disconnect');
  }

  /** PUBLISH packets received so far (all of them, taken or not). */
  publishes(): RawPublish[] {
    return this.all.filter((p): p is RawPublish => p.cmd === 'publish');
  }

  async subscribe(
    topic: string,
    qos: 0 | 1 | 2,
    extra: { nl?: boolean; rap?: boolean; rh?: number; id?: number } = {},
  ): Promise<number[]> {
    const messageId = Math.floor(Math.random() * 60000) + 1;
    const { id, ...opts } = extra;
    this.send({
      cmd: 'subscribe',
      messageId,
      subscriptions: [{ topic, qos, ...opts }],
      ...(id === undefined ? {} : { properties: { subscriptionIdentifier: id } }),
    });
    const ack = await this.next((p) => p.cmd === 'suback' && p.messageId === messageId);
    return (ack as { granted: number[] }).granted;
  }

  /** Resolves when the broker closes the socket; rejects after `timeoutMs`. */
  waitClosed(timeoutMs = 2000): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('socket was not closed by the broker')), timeoutMs);
      void this.closed.then(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function matches(m: Matcher, p: Packet): boolean {
  return typeof m === 'string' ? p.cmd === m : m(p);
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command line tool; `ready` resolves once stdout or stderr contains
 * `readyText` (e.g. mosquitto_sub's SUBACK in debug mode). Output to a pipe
 * is block-buffered by stdio, so a tool awaited for `readyText` runs under
 * `stdbuf -oL` to see its lines as they are written.
 */
export function run(
  cmd: string,
  args: string[],
  opts: { timeoutMs?: number; readyText?: string } = {},
): { done: Promise<RunResult>; ready: Promise<void> } {
  const [file, argv] = opts.readyText ? ['stdbuf', ['-oL', '-eL', cmd, ...args]] : [cmd, args];
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((r) => {
    markReady = r;
  });
  const check = () => {
    if (opts.readyText && (stdout + stderr).includes(opts.readyText)) markReady();
  };
  child.stdout.on('data', (b: Buffer) => {
    stdout += b.toString();
    check();
  });
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
    check();
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 5000);
  const done = new Promise<RunResult>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      markReady();
      resolve({ code, stdout, stderr });
    }),
  );
  return { done, ready };
}

/** A self-signed certificate for localhost and 127.0.0.1 in a fresh temp dir. */
export function selfSignedCert(): { dir: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-days',
      '1',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { dir, cert, key };
}

/** Settings for a test app with an MQTT TLS listener on a free loopback port, serving `tls`. */
export function mqttsEnv(tls: { cert: string; key: string }): Record<string, string> {
  return {
    PLEXUS_MQTTS_CERT: tls.cert,
    PLEXUS_MQTTS_KEY: tls.key,
    PLEXUS_MQTTS_PORT: '0',
    PLEXUS_MQTTS_HOST: '127.0.0.1',
  };
}
