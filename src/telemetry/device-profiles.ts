import type { Bus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { Profile, RegistryService } from '../registry/index.js';

const TTL_MS = 30_000;
const MAX_ENTRIES = 100_000;

/**
 * Device → profile lookups for the ingest path, cached: every uplink needs
 * its device's profile, and storage reads per message would cap ingest.
 * Device changes drop the entry at once; profile edits are picked up within
 * the TTL (30 s).
 */
export class DeviceProfiles {
  readonly #registry: RegistryService;
  readonly #clock: Clock;
  readonly #cache = new Map<string, { profile: Profile | undefined; expires: number }>();
  /** Lookups under way: the messages of one device arriving together share one registry read. */
  readonly #loading = new Map<string, Promise<Profile | undefined>>();

  constructor(registry: RegistryService, bus: Bus, clock: Clock) {
    this.#registry = registry;
    this.#clock = clock;
    bus.subscribe('telemetry-profiles', 'registry', (change) => {
      if (change.kind === 'tenant-deleted') {
        for (const k of this.#cache.keys()) if (k.startsWith(`${change.tenant}\u0000`)) this.#cache.delete(k);
      } else if ('device' in change) this.#cache.delete(`${change.tenant}\u0000${change.device}`);
    });
  }

  /** The device's profile, or undefined when the device does not exist (any more). */
  async of(tenant: string, device: string): Promise<Profile | undefined> {
    const key = `${tenant}\u0000${device}`;
    const now = this.#clock.now();
    const hit = this.#cache.get(key);
    if (hit && hit.expires > now) return hit.profile;
    // One read per device however many of its messages arrive before it completes.
    const loading = this.#loading.get(key);
    if (loading !== undefined) return loading;
    const p = this.#load(tenant, device, key, now).finally(() => this.#loading.delete(key));
    this.#loading.set(key, p);
    return p;
  }

  async #load(tenant: string, device: string, key: string, now: number): Promise<Profile | undefined> {
    const d = await this.#registry.findDevice(tenant, device);
    const profile = d ? await this.#registry.getProfile(tenant, d.profile) : undefined;
    if (this.#cache.size >= MAX_ENTRIES) this.#cache.clear();
    this.#cache.set(key, { profile, expires: now + TTL_MS });
    return profile;
  }
}
