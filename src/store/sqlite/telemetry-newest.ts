import type { PointRow } from '../telemetry.js';

/** Devices whose newest timestamps are kept before the index is rebuilt from the database. */
const MAX_TRACKED_DEVICES = 200_000;

/**
 * Newest accepted timestamp per series, for the writer's duplicate check
 * (telemetry-writer.ts): a point newer than everything stored or accepted
 * for its series cannot be a duplicate. A device's entry is loaded from the
 * database's latest values on first sight; the index is rebuilt only when
 * the tables hold everything accepted (`idle()`), so a reload is never stale.
 */
export class NewestTimestamps {
  readonly #load: (tenant: string, device: string) => Map<string, number>;
  readonly #idle: () => boolean;
  readonly #byTenant = new Map<string, Map<string, Map<string, number>>>();
  #devices = 0;

  constructor(load: (tenant: string, device: string) => Map<string, number>, idle: () => boolean) {
    this.#load = load;
    this.#idle = idle;
  }

  /** True when every point is newer than its series' newest; notes the new newest timestamps either way. */
  advance(points: readonly PointRow[]): boolean {
    let fresh = true;
    let keys: Map<string, number> | undefined;
    let tenant: string | undefined;
    let device: string | undefined;
    for (const p of points) {
      if (p.tenant !== tenant || p.device !== device) {
        keys = this.#device(p.tenant, p.device);
        tenant = p.tenant;
        device = p.device;
      }
      const m = keys as Map<string, number>;
      const newest = m.get(p.key);
      if (newest === undefined || p.ts > newest) m.set(p.key, p.ts);
      else fresh = false;
    }
    return fresh;
  }

  /** After a device's (or tenant's) data was deleted. */
  forget(tenant: string, device?: string): void {
    if (device === undefined) this.#byTenant.delete(tenant);
    else this.#byTenant.get(tenant)?.delete(device);
  }

  #device(tenant: string, device: string): Map<string, number> {
    let devices = this.#byTenant.get(tenant);
    let keys = devices?.get(device);
    if (keys) return keys;
    if (this.#devices >= MAX_TRACKED_DEVICES && this.#idle()) {
      this.#byTenant.clear();
      this.#devices = 0;
      devices = undefined;
    }
    if (!devices) {
      devices = new Map();
      this.#byTenant.set(tenant, devices);
    }
    keys = this.#load(tenant, device);
    devices.set(device, keys);
    this.#devices++;
    return keys;
  }
}
