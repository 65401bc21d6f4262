import type { LatestValue, TelemetryStore } from '../store/index.js';
import type { ValidPoint } from './model.js';

const MAX_DEVICES = 100_000;

/**
 * Latest value per device and key, served from memory (ARCHITECTURE §6:
 * dashboards poll it). Loaded from storage on first read of a device, then
 * kept current from committed points; the writer persists the same values,
 * so a restart starts from the stored ones.
 */
export class LatestValues {
  readonly #store: TelemetryStore;
  readonly #byDevice = new Map<string, Map<string, LatestValue>>();

  constructor(store: TelemetryStore) {
    this.#store = store;
  }

  async get(tenant: string, device: string): Promise<Record<string, LatestValue>> {
    const k = `${tenant}\u0000${device}`;
    let m = this.#byDevice.get(k);
    if (!m) {
      m = new Map(Object.entries(await this.#store.latest(tenant, device)));
      // A commit may have landed while storage was read; keep whichever is newer.
      const raced = this.#byDevice.get(k);
      if (raced) for (const [key, v] of raced) if ((m.get(key)?.ts ?? -1) <= v.ts) m.set(key, v);
      this.#remember(k, m);
    }
    return Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** After a commit: newer points replace the remembered ones. */
  update(tenant: string, device: string, points: readonly ValidPoint[]): void {
    const k = `${tenant}\u0000${device}`;
    const m = this.#byDevice.get(k);
    if (!m) return; // not loaded: the next read takes it from storage
    for (const p of points) {
      const cur = m.get(p.key);
      if (!cur || p.ts >= cur.ts) m.set(p.key, { ts: p.ts, value: p.value });
    }
  }

  forget(tenant: string, device?: string): void {
    if (device !== undefined) {
      this.#byDevice.delete(`${tenant}\u0000${device}`);
      return;
    }
    for (const k of this.#byDevice.keys()) if (k.startsWith(`${tenant}\u0000`)) this.#byDevice.delete(k);
  }

  #remember(k: string, m: Map<string, LatestValue>): void {
    if (this.#byDevice.size >= MAX_DEVICES) this.#byDevice.clear();
    this.#byDevice.set(k, m);
  }
}
