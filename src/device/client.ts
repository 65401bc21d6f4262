import { EventEmitter } from 'node:events';
import { CommandDispatcher, type CommandHandler, type CommandResult } from './commands.js';
import { Connection } from './connection.js';
import {
  type EventEntry,
  encodeDocument,
  encodeEvents,
  encodeTelemetry,
  eventEntry,
  type TelemetryEntry,
  type TelemetryValues,
  telemetryEntry,
} from './encode.js';
import { DeviceSdkError } from './errors.js';
import { HttpLink } from './http-link.js';
import type { Channel, IncomingCommand, Link, LinkEvents, OutMessage } from './link.js';
import { MqttLink } from './mqtt-link.js';
import { type DeviceOptions, type ResolvedOptions, validateOptions } from './options.js';
import { Outbox, type Pending } from './outbox.js';

/** Counters since the device was created. */
export interface DeviceStats {
  /** Messages (telemetry entries, events, reports, results) written to the connection, resends included. */
  readonly sent: number;
  /** Messages the platform acknowledged (stored). */
  readonly acked: number;
  /** Messages not yet acknowledged: waiting in the offline buffer or in flight. */
  readonly buffered: number;
  /** Messages dropped because the buffer was full (their promises rejected with DROPPED). */
  readonly dropped: number;
  /** Successful reconnections after a lost connection. */
  readonly reconnects: number;
  /** Commands answered. */
  readonly commands: number;
}

export type DesiredHandler = (state: Record<string, unknown>, version: number) => void | Promise<void>;

export interface DeviceEvents {
  connected: [];
  disconnected: [reason: Error];
  error: [err: Error];
}

type Kind = 'telemetry' | 'event' | 'reported' | 'result';

/** Payload limits for a catch-up batch: well under the broker's 256 KiB packet and 10,000 values. */
const MAX_BATCH_BYTES = 128 * 1024;
const MAX_BATCH_POINTS = 5_000;
const CHANNEL: Readonly<Record<Kind, Channel>> = {
  telemetry: 'telemetry',
  event: 'events',
  reported: 'reported',
  result: 'result',
};

/**
 * A device's connection to Plexus: telemetry and events with an offline
 * buffer, commands, twin desired/reported state, reconnection with jittered
 * backoff. Over MQTT (mqtt:, mqtts:, ws:, wss:) or the device HTTP API
 * (http:, https:). See docs/device-sdk.md.
 *
 * @example
 * const dev = new PlexusDevice({ url: 'mqtt://127.0.0.1:1883', id: 'press-7', secret: process.env.SECRET! });
 * dev.onCommand('shutdown', async () => ({ stopped: true }));
 * await dev.connect();
 * await dev.telemetry({ temp: 21.5, vib: { rms: 0.2 } });
 * await dev.close();
 */
export class PlexusDevice extends EventEmitter<DeviceEvents> {
  readonly #o: ResolvedOptions;
  readonly #link: Link;
  readonly #outbox: Outbox;
  readonly #commands = new CommandDispatcher();
  readonly #desiredHandlers: DesiredHandler[] = [];
  #desired: Record<string, unknown> = {};
  #desiredVersion = 0;
  readonly #conn: Connection;
  #everConnected = false;
  #reconnects = 0;
  #answered = 0;

  /** @throws DeviceSdkError INVALID_OPTION naming the option at fault. */
  constructor(options: DeviceOptions) {
    super();
    this.#o = validateOptions(options);
    const events: LinkEvents = {
      command: (cmd) => this.#command(cmd),
      desired: (doc) => this.#gotDesired(doc),
      down: (err) => this.#conn.lost(err),
      warn: (err) => this.#error(err),
    };
    this.#link = this.#o.transport === 'http' ? new HttpLink(this.#o, events) : new MqttLink(this.#o, events);
    this.#conn = new Connection(this.#link, this.#o, {
      up: () => this.#up(),
      down: (err) => this.#down(err),
      error: (err) => this.#error(err),
    });
    this.#outbox = new Outbox({
      limit: this.#o.bufferLimit,
      limits: { maxItems: this.#o.batchSize, maxBytes: MAX_BATCH_BYTES, maxPoints: MAX_BATCH_POINTS },
      encode: (items) => this.#encode(items),
      onError: (err) => this.#error(err),
    });
  }

  /** The device id. */
  get id(): string {
    return this.#o.id;
  }

  /** True while a connection is up. */
  get connected(): boolean {
    return this.#conn.state === 'connected';
  }

  /** The last desired state received (`{}` before any). */
  get desired(): Readonly<Record<string, unknown>> {
    return this.#desired;
  }

  get stats(): DeviceStats {
    const s = this.#outbox.stats;
    return {
      sent: s.sent,
      acked: s.acked,
      buffered: this.#outbox.pending,
      dropped: s.dropped,
      reconnects: this.#reconnects,
      commands: this.#answered,
    };
  }

  /**
   * Connects, retrying with backoff while the platform cannot be reached.
   * Resolves on the first connection; later drops reconnect by themselves.
   * @throws DeviceSdkError AUTH_FAILED (no retries), UNREACHABLE (after connectTimeoutMs), CLOSED.
   */
  connect(): Promise<void> {
    return this.#conn.connect();
  }

  #up(): void {
    if (this.#everConnected) this.#reconnects++;
    this.#everConnected = true;
    this.#outbox.up((m) => this.#link.send(m));
    this.emit('connected');
  }

  #down(err: Error): void {
    this.#outbox.down();
    this.emit('disconnected', err);
  }

  /** 'error' only reaches listeners: with none, EventEmitter would throw and crash the device. */
  #error(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  #enqueue<E>(kind: Kind, entry: E, size: number, points: number): Promise<void> {
    if (this.#conn.state === 'closed')
      return Promise.reject(new DeviceSdkError('CLOSED', 'the device was closed'));
    return new Promise<void>((resolve, reject) => {
      const item: Pending<E> = {
        kind,
        batchable: kind === 'telemetry' || kind === 'event',
        size,
        points,
        entry,
        resolve,
        reject,
      };
      this.#outbox.add(item);
    });
  }

  #encode(items: readonly Pending[]): OutMessage {
    const first = items[0] as Pending;
    const kind = first.kind as Kind;
    const f = this.#o.format;
    const channel = CHANNEL[kind];
    if (kind === 'telemetry')
      return {
        channel,
        ...encodeTelemetry(
          f,
          items.map((i) => i.entry as TelemetryEntry),
        ),
      };
    if (kind === 'event')
      return {
        channel,
        ...encodeEvents(
          f,
          items.map((i) => i.entry as EventEntry),
        ),
      };
    if (kind === 'reported') return { channel, ...encodeDocument(first.entry) };
    const r = first.entry as { cmd: IncomingCommand; result: CommandResult };
    return {
      channel,
      ...encodeDocument(r.result),
      command: {
        id: r.cmd.id,
        ...(r.cmd.responseTopic === undefined ? {} : { responseTopic: r.cmd.responseTopic }),
        ...(r.cmd.correlationData === undefined ? {} : { correlationData: r.cmd.correlationData }),
      },
    };
  }

  /**
   * Sends telemetry; resolves when the platform stored it. Offline, it
   * waits in the buffer and is sent later with its original time.
   * @param values `{ temp: 21.5, vib: { rms: 0.2 } }` (nested keys become `vib.rms`)
   * @param ts when it was measured (default now): epoch ms or a Date
   * @throws DeviceSdkError INVALID_ARGUMENT at once; the promise rejects with DROPPED, REJECTED or CLOSED.
   */
  telemetry(values: TelemetryValues, ts?: number | Date): Promise<void> {
    const entry = telemetryEntry(values, ts, Date.now());
    return this.#enqueue('telemetry', entry, entry.size, entry.points);
  }

  /**
   * Sends an event (`devices/{id}/events`); buffered like telemetry.
   * @example await dev.event('door_open', { door: 'front' });
   */
  event(type: string, data?: Record<string, unknown>, ts?: number | Date): Promise<void> {
    const entry = eventEntry(type, data, ts, Date.now());
    return this.#enqueue('event', entry, entry.size, 1);
  }

  /**
   * Reports state (a partial document, merged into the twin's reported side; `null` deletes a key).
   * @example await dev.report({ setpoint: 21 });
   */
  report(partial: Record<string, unknown>): Promise<void> {
    if (typeof partial !== 'object' || partial === null || Array.isArray(partial)) {
      throw new DeviceSdkError('INVALID_ARGUMENT', 'report: must be an object such as { setpoint: 21 }', {
        option: 'partial',
      });
    }
    let size: number;
    try {
      size = JSON.stringify(partial).length;
    } catch (err) {
      throw new DeviceSdkError(
        'INVALID_ARGUMENT',
        `report: cannot be serialised as JSON (${(err as Error).message})`,
        {
          option: 'partial',
        },
      );
    }
    return this.#enqueue('reported', partial, size, 1);
  }

  /**
   * Handles commands called `name` (or any command without its own handler, with `*`).
   * The return value becomes `{ok: true, result}`; a throw `{ok: false, error: message}`.
   * Commands are subscribed to once the first handler is registered, so register before connect().
   * @example dev.onCommand('shutdown', async (params) => ({ stopped: true }));
   */
  onCommand(name: string, handler: CommandHandler): this {
    if (typeof name !== 'string' || name === '') {
      throw new DeviceSdkError('INVALID_ARGUMENT', "onCommand: name must be a command name or '*'", {
        option: 'name',
      });
    }
    if (typeof handler !== 'function') {
      throw new DeviceSdkError('INVALID_ARGUMENT', 'onCommand: handler must be a function', {
        option: 'handler',
      });
    }
    this.#commands.set(name, handler);
    this.#link.listenCommands();
    return this;
  }

  /**
   * Called with the desired state on connect and on each change (once per
   * desired version); one registered later gets the current one at once.
   * @example dev.onDesired((state) => heater.setpoint(state.setpoint as number));
   */
  onDesired(handler: DesiredHandler): this {
    if (typeof handler !== 'function') {
      throw new DeviceSdkError('INVALID_ARGUMENT', 'onDesired: handler must be a function', {
        option: 'handler',
      });
    }
    this.#desiredHandlers.push(handler);
    this.#link.listenDesired();
    if (this.#desiredVersion > 0) {
      const [state, version] = [this.#desired, this.#desiredVersion];
      queueMicrotask(() => this.#callDesired(handler, state, version));
    }
    return this;
  }

  #gotDesired(doc: unknown): void {
    const d = doc as { version?: unknown; state?: unknown } | null;
    if (typeof d?.version !== 'number' || typeof d.state !== 'object' || d.state === null) {
      this.#error(new Error('desired state document without {version, state}; ignored'));
      return;
    }
    // Older or already seen versions (the retained copy again after a reconnect) change nothing.
    if (d.version <= this.#desiredVersion) return;
    this.#desired = d.state as Record<string, unknown>;
    this.#desiredVersion = d.version;
    for (const h of this.#desiredHandlers) this.#callDesired(h, this.#desired, d.version);
  }

  #callDesired(h: DesiredHandler, state: Record<string, unknown>, version: number): void {
    try {
      const r = h(state, version);
      if (r instanceof Promise) r.catch((err: unknown) => this.#error(err as Error));
    } catch (err) {
      this.#error(err as Error);
    }
  }

  #command(cmd: IncomingCommand): void {
    void this.#commands.dispatch(cmd).then((result) => {
      if (result === undefined || this.#conn.state === 'closed') return;
      this.#answered++;
      // Answers queue like telemetry: one finished while offline goes out after reconnecting.
      this.#enqueue('result', { cmd, result }, 64, 1).catch(() => {
        // Reported through onError by the outbox (REJECTED) or lost at close: nobody awaits it.
      });
    });
  }

  /**
   * Sends what it can within `graceMs` (default 2,000), then disconnects;
   * messages still unacknowledged reject with CLOSED.
   */
  async close(options: { graceMs?: number } = {}): Promise<void> {
    if (this.#conn.state === 'closed') return;
    const grace = options.graceMs ?? 2000;
    if (!Number.isInteger(grace) || grace < 0) {
      throw new DeviceSdkError('INVALID_ARGUMENT', 'close: graceMs must be an integer >= 0', {
        option: 'graceMs',
      });
    }
    // Connected or about to be (reconnecting): give the buffer its grace to go out.
    const state = this.#conn.state;
    if (state === 'connected' || state === 'connecting' || state === 'disconnected') {
      await this.#outbox.drained(grace);
    }
    const wasConnected = this.#conn.state === 'connected';
    this.#conn.close();
    this.#outbox.failAll(new DeviceSdkError('CLOSED', 'the device was closed before this was acknowledged'));
    await this.#link.close();
    if (wasConnected) this.emit('disconnected', new DeviceSdkError('CLOSED', 'closed'));
  }
}
