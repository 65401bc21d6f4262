import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { DeviceSdkError, TransientError } from './errors.js';
import type { Link, LinkEvents, OutMessage } from './link.js';
import type { ResolvedOptions } from './options.js';

/** CONNACK codes that mean "these credentials will not do" (MQTT 5 §3.2.2.2; 3.1.1 §3.2.2.3). */
const AUTH_CODES: Readonly<Record<4 | 5, ReadonlySet<number>>> = {
  5: new Set([0x85, 0x86, 0x87, 0x8c]),
  4: new Set([2, 4, 5]),
};
/** PUBACK codes worth a retry: storage failed or is behind (ARCHITECTURE §6.1). */
const RETRY_CODES = new Set([0x80, 0x97]);
const COMMAND_TOPIC = /^devices\/[^/]+\/commands\/([^/]+)$/;

function reasonCodeOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * The MQTT transport (MQTT.js; TCP, TLS, WebSocket). One MQTT.js client per
 * connection attempt with its own reconnect off: the SDK owns reconnecting
 * (jittered backoff) and resending (its ordered buffer), so MQTT.js's store
 * never replays anything behind its back.
 */
export class MqttLink implements Link {
  readonly #o: ResolvedOptions;
  readonly #ev: LinkEvents;
  #client: MqttClient | undefined;
  #commands = false;
  /** Settles an open() still waiting for CONNACK when close() is called. */
  #abortOpen: ((err: Error) => void) | undefined;

  constructor(options: ResolvedOptions, events: LinkEvents) {
    this.#o = options;
    this.#ev = events;
  }

  #clientOptions(): IClientOptions {
    const o = this.#o;
    return {
      protocolVersion: o.mqttVersion,
      clientId: o.id,
      username: o.username,
      password: o.secret,
      keepalive: o.keepalive,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: Math.min(10_000, o.connectTimeoutMs ?? 10_000),
      resubscribe: false,
      // The server's WebSocket endpoint is /mqtt (docs/mqtt.md); a bare ws://host:port means it.
      ...((o.url.protocol === 'ws:' || o.url.protocol === 'wss:') && o.url.pathname === '/'
        ? { path: '/mqtt' }
        : {}),
      ...(o.tls
        ? {
            rejectUnauthorized: o.tls.rejectUnauthorized,
            ...(o.tls.ca === undefined ? {} : { ca: o.tls.ca }),
          }
        : {}),
    };
  }

  open(): Promise<void> {
    const client = mqtt.connect(this.#o.url.href, this.#clientOptions());
    this.#client = client;
    return new Promise<void>((resolve, reject) => {
      let lastError: Error | undefined;
      let opened = false;
      this.#abortOpen = (err) => {
        this.#abortOpen = undefined;
        reject(err);
      };
      client.on('error', (err) => {
        const code = reasonCodeOf(err);
        if (!opened && code !== undefined && AUTH_CODES[this.#o.mqttVersion].has(code)) {
          lastError = new DeviceSdkError(
            'AUTH_FAILED',
            `the platform refused ${this.#o.username}: ${err.message}`,
            {
              reasonCode: code,
              cause: err,
            },
          );
        } else lastError = err;
      });
      client.on('close', () => {
        if (this.#client === client) this.#client = undefined;
        client.removeAllListeners('message');
        if (!opened) {
          client.end(true);
          this.#abortOpen = undefined;
          reject(lastError ?? new TransientError('connection closed before CONNACK', { linkDown: true }));
          return;
        }
        opened = false; // `down` once per open
        client.end(true);
        this.#ev.down(lastError ?? new TransientError('connection lost', { linkDown: true }));
      });
      client.on('message', (topic, payload, packet) => this.#message(topic, payload, packet));
      client.once('connect', () => {
        const desired = `devices/${this.#o.id}/twin/desired`;
        const filters: Record<string, { qos: 1 }> = { [desired]: { qos: 1 } };
        if (this.#commands) filters[`devices/${this.#o.id}/commands/+`] = { qos: 1 };
        client.subscribe(filters, (err, granted) => {
          if (this.#client !== client) return; // closed meanwhile: `close` rejected already
          for (const g of granted ?? []) {
            if (g.qos >= 0x80)
              this.#ev.warn(new Error(`subscription to ${g.topic} refused (0x${g.qos.toString(16)})`));
          }
          if (err && !client.connected) return; // the close handler rejects
          opened = true;
          this.#abortOpen = undefined;
          resolve();
        });
      });
    });
  }

  #message(topic: string, payload: Buffer, packet: IPublishPacket): void {
    if (topic === `devices/${this.#o.id}/twin/desired`) {
      if (payload.length === 0) return; // retained message cleared (device deleted)
      let doc: unknown;
      try {
        doc = JSON.parse(payload.toString('utf8'));
      } catch {
        this.#ev.warn(new Error('desired state is not JSON; ignored'));
        return;
      }
      this.#ev.desired(doc);
      return;
    }
    const m = COMMAND_TOPIC.exec(topic);
    if (!m) return;
    const id = m[1] as string;
    const props = packet.properties;
    const reply = {
      ...(props?.responseTopic === undefined ? {} : { responseTopic: props.responseTopic }),
      ...(props?.correlationData === undefined ? {} : { correlationData: props.correlationData }),
    };
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      body = undefined;
    }
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const params = b.params ?? {};
    if (
      typeof b.name !== 'string' ||
      typeof params !== 'object' ||
      params === null ||
      Array.isArray(params)
    ) {
      this.#ev.command({
        id,
        name: '',
        params: {},
        ...reply,
        problem: 'command payload is not {"name", "params"}',
      });
      return;
    }
    this.#ev.command({ id, name: b.name, params: params as Record<string, unknown>, ...reply });
  }

  send(m: OutMessage): Promise<void> {
    const client = this.#client;
    if (!client?.connected) return Promise.reject(new TransientError('not connected', { linkDown: true }));
    const base = `devices/${this.#o.id}`;
    const topic =
      m.channel === 'result'
        ? (m.command?.responseTopic ?? `${base}/commands/${m.command?.id ?? ''}/result`)
        : m.channel === 'reported'
          ? `${base}/twin/reported`
          : `${base}/${m.channel}`;
    const properties =
      this.#o.mqttVersion === 5
        ? {
            contentType: m.contentType,
            ...(m.command?.correlationData === undefined
              ? {}
              : { correlationData: m.command.correlationData }),
          }
        : undefined;
    return new Promise<void>((resolve, reject) => {
      client.publish(topic, m.payload, { qos: 1, ...(properties ? { properties } : {}) }, (err, packet) => {
        if (!err) return resolve();
        const code = reasonCodeOf(err);
        if (code === undefined || !client.connected) {
          // MQTT.js fails pending publishes when the connection ends: they go back to the buffer.
          if (!client.connected)
            return reject(new TransientError(err.message, { linkDown: true, cause: err }));
          return reject(new DeviceSdkError('REJECTED', `${m.channel}: ${err.message}`, { cause: err }));
        }
        const reason = (packet as { properties?: { reasonString?: string } } | undefined)?.properties
          ?.reasonString;
        const text = `${m.channel} refused by the platform (0x${code.toString(16)}${reason ? `: ${reason}` : ''})`;
        if (RETRY_CODES.has(code))
          return reject(new TransientError(text, { retryAfterMs: 1000, cause: err }));
        reject(new DeviceSdkError('REJECTED', text, { reasonCode: code, cause: err }));
      });
    });
  }

  listenCommands(): void {
    if (this.#commands) return;
    this.#commands = true;
    const client = this.#client;
    if (!client?.connected) return; // subscribed on the next open()
    client.subscribe(`devices/${this.#o.id}/commands/+`, { qos: 1 }, (err, granted) => {
      const g = granted?.[0];
      if (err || (g && g.qos >= 0x80)) this.#ev.warn(err ?? new Error('subscription to commands refused'));
    });
  }

  listenDesired(): void {
    // Always subscribed: the retained document arrives on every connect.
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#abortOpen?.(new DeviceSdkError('CLOSED', 'closed while connecting'));
    if (!client) return;
    client.removeAllListeners('close');
    client.removeAllListeners('message');
    client.on('error', () => {}); // late socket errors after we let go
    // A clean DISCONNECT when the connection still works; a dead one is not waited for.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => client.end(true, {}, () => resolve()), 1000);
      client.end(false, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
