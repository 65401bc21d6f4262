import { PlexusDevice } from '../src/device/index.js';
import type { DeviceModel, SimDevice } from './pack.js';

/** Counters the whole fleet shares (the progress line is made from them). */
export interface Counters {
  connected: number;
  sent: number;
  acked: number;
  commandsAnswered: number;
  errors: number;
}

export interface SimDeviceOptions {
  readonly spec: SimDevice;
  readonly model: DeviceModel;
  readonly brokerUrl: string;
  readonly secret: string;
  readonly tenant: string | undefined;
  readonly counters: Counters;
  /** Sim seconds per real second: a step's dt is the real time since the last one times this. */
  readonly speed: number;
  readonly onAck?: ((latencyMs: number) => void) | undefined;
}

/**
 * One simulated device: a pack's model wired to a real SDK connection. The
 * model decides what to send; this sends it, hands commands and desired
 * state to the model, and reports the model's twin state after each change.
 */
export class SimulatedDevice {
  readonly id: string;
  readonly #o: SimDeviceOptions;
  readonly #dev: PlexusDevice;
  #online = false;
  #closing = false;
  #lastStep: number | undefined;

  constructor(o: SimDeviceOptions) {
    this.#o = o;
    this.id = o.spec.id;
    this.#dev = new PlexusDevice({
      url: o.brokerUrl,
      id: o.spec.id,
      secret: o.secret,
      ...(o.tenant === undefined ? {} : { tenant: o.tenant }),
      // A whole fleet reconnecting at once after a server restart: spread it out.
      reconnect: { minMs: 500, maxMs: 10_000 },
      connectTimeoutMs: 15_000,
    });
    this.#dev.on('connected', () => this.#setOnline(true));
    this.#dev.on('disconnected', () => this.#setOnline(false));
    this.#dev.on('error', () => {
      if (!this.#closing) o.counters.errors++;
    });
    this.#dev.onCommand('*', async (params, cmd) => {
      const { model, counters } = this.#o;
      try {
        if (!model.onCommand) throw new Error(`${this.id} takes no commands`);
        return model.onCommand(cmd.name, params);
      } finally {
        counters.commandsAnswered++;
        this.#report();
      }
    });
    this.#dev.onDesired((state) => {
      this.#o.model.onDesired?.(state);
      this.#report();
    });
  }

  #setOnline(online: boolean): void {
    if (online === this.#online) return;
    this.#online = online;
    this.#o.counters.connected += online ? 1 : -1;
  }

  #failed = (): void => {
    if (!this.#closing) this.#o.counters.errors++;
  };

  #report(): void {
    const r = this.#o.model.reported?.();
    if (r !== undefined && !this.#closing) this.#dev.report(r).catch(this.#failed);
  }

  async connect(): Promise<void> {
    await this.#dev.connect();
    this.#setOnline(true);
    this.#report();
  }

  /** Advances the model to `now` and sends what it says (unawaited: acks are counted as they come). */
  step(now: number, defaultDtS: number): void {
    const { model, counters, speed } = this.#o;
    const dt = this.#lastStep === undefined ? defaultDtS * speed : ((now - this.#lastStep) / 1000) * speed;
    this.#lastStep = now;
    const values = model.step(now, dt);
    if (values !== undefined && Object.keys(values).length > 0) {
      counters.sent++;
      const t0 = performance.now();
      this.#dev.telemetry(values, now).then(() => {
        counters.acked++;
        this.#o.onAck?.(performance.now() - t0);
      }, this.#failed);
    }
    for (const e of model.events?.() ?? []) this.#dev.event(e.type, e.data ?? {}).catch(this.#failed);
    this.#report();
  }

  async close(): Promise<void> {
    this.#closing = true;
    try {
      await this.#dev.close();
    } finally {
      this.#setOnline(false);
    }
  }
}
