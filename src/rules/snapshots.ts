import type { Logger } from '../core/logger.js';
import type { RuleStateStore } from '../store/index.js';
import type { DeviceStates } from './device-states.js';

/**
 * Rule states are saved this often (and all at stop): a crash loses at most this much of their
 * evolution (docs/rules.md)...
 */
export const SNAPSHOT_MS = 15_000;
/**
 * ...or less often when snapshots are costly, so that they take at most SNAPSHOT_SHARE of the
 * main thread (10,000 devices with 16 rules each: about a second of JSON and SQLite), but never
 * less often than SNAPSHOT_MAX_MS. Every 15 s whatever the cost, such a fleet's snapshots were
 * a tenth of the main thread and, under load, the longest stalls of the webhook path.
 */
export const SNAPSHOT_SHARE = 0.03;
export const SNAPSHOT_MAX_MS = 60_000;
/**
 * Main-thread time one slice of a snapshot aims at: every message on its way (a firing's
 * alarm, outbox item, webhook) waits up to one slice per event-loop turn it needs, so slices
 * of a fixed 100 devices (15-20 ms under load) added tens of ms to a webhook's p99.
 */
const SLICE_MS = 4;

/** When the next snapshot is due after one that took `costMs` of the main thread. */
export function nextSnapshotIn(costMs: number): number {
  return Math.min(SNAPSHOT_MAX_MS, Math.max(SNAPSHOT_MS, costMs / SNAPSHOT_SHARE));
}

type RuleOf = Parameters<DeviceStates['takeDirty']>[1];

/** Periodic, sliced saving of the engine's changed rule states, and the final save at stop. */
export class StateSnapshots {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = false;

  constructor(
    private readonly states: DeviceStates,
    private readonly store: RuleStateStore,
    private readonly ruleOf: RuleOf,
    private readonly log: Logger,
  ) {}

  /** Saves the changed states; resolves to the main-thread time it took (ms), waits excluded. */
  async save(): Promise<number> {
    const devices = this.states.devices();
    let cost = 0;
    // In slices of about SLICE_MS, so a fleet-wide snapshot never holds the event loop (and the
    // broker) for long: the slice size follows the last slice's time per device.
    let size = 20;
    for (let i = 0; i < devices.length; ) {
      if (i > 0) await new Promise((r) => setImmediate(r));
      const t0 = performance.now();
      const slice = devices.slice(i, i + size);
      i += slice.length;
      const saved = this.store.saveDevices(this.states.takeDirty(slice, this.ruleOf));
      const took = performance.now() - t0;
      cost += took;
      await saved;
      size = Math.max(1, Math.min(1000, Math.round((size * SLICE_MS) / Math.max(took, 0.05))));
    }
    return cost;
  }

  start(): void {
    this.#stopped = false;
    this.#schedule(SNAPSHOT_MS);
  }

  /** Stops the schedule and saves everything (after a snapshot under way: two writers of a device must not race). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    await this.save();
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.save().then(
        (cost) => this.#schedule(nextSnapshotIn(cost)),
        (err: unknown) => {
          this.log.error({ err }, 'saving rule state failed');
          this.#schedule(SNAPSHOT_MS);
        },
      );
    }, delayMs);
    this.#timer.unref();
  }
}
