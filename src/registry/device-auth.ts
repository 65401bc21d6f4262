import { createHash } from 'node:crypto';
import type { Bus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { Device, Profile } from './model.js';
import type { RegistryService } from './service.js';

export interface AuthenticatedDevice {
  readonly device: Device;
  readonly profile: Profile;
  /** Id of the credential that matched (revoking it ends sessions using it). */
  readonly credential: string;
}

export interface DeviceAuthOptions {
  readonly registry: RegistryService;
  readonly bus: Bus;
  readonly clock: Clock;
  /** How long a success is trusted without asking storage again. */
  readonly ttlMs?: number;
  readonly maxEntries?: number;
}

export type DeviceAuth = ReturnType<typeof createDeviceAuth>;

/**
 * Device authentication for every transport, with a cache so the hot path
 * (reconnect storms, HTTP devices posting every second) costs one SHA-256
 * and a map lookup instead of storage reads. Only successes are cached, keyed
 * by a hash of the presented secret; any registry change to the device,
 * its credentials or its tenant drops its entries at once.
 */
export function createDeviceAuth({
  registry,
  bus,
  clock,
  ttlMs = 300_000,
  maxEntries = 100_000,
}: DeviceAuthOptions) {
  const cache = new Map<string, { value: AuthenticatedDevice; expires: number }>();
  const byDevice = new Map<string, Set<string>>();
  const deviceKey = (tenant: string, id: string) => `${tenant}\u0000${id}`;

  function forget(tenant: string, id?: string): void {
    for (const [dk, keys] of byDevice) {
      if (id === undefined ? !dk.startsWith(`${tenant}\u0000`) : dk !== deviceKey(tenant, id)) continue;
      for (const k of keys) cache.delete(k);
      byDevice.delete(dk);
    }
  }

  bus.subscribe('device-auth', 'registry', (change) => {
    if (change.kind === 'tenant-deleted') forget(change.tenant);
    else if ('device' in change) forget(change.tenant, change.device);
  });

  return {
    async verify(tenant: string, id: string, secret: string): Promise<AuthenticatedDevice | undefined> {
      const key = `${deviceKey(tenant, id)}\u0000${createHash('sha256').update(secret).digest('base64')}`;
      const hit = cache.get(key);
      const now = clock.now();
      if (hit && hit.expires > now) return hit.value;
      const found = await registry.verifyDeviceSecret(tenant, id, secret);
      if (!found) return undefined;
      const profile = await registry.getProfile(tenant, found.device.profile);
      const value: AuthenticatedDevice = { device: found.device, profile, credential: found.credential };
      if (cache.size >= maxEntries) cache.clear();
      cache.set(key, { value, expires: now + ttlMs });
      const dk = deviceKey(tenant, id);
      byDevice.set(dk, (byDevice.get(dk) ?? new Set()).add(key));
      return value;
    },
    /** Drops everything (profiles changed, for instance). */
    clear(): void {
      cache.clear();
      byDevice.clear();
    },
    get size(): number {
      return cache.size;
    },
  };
}
