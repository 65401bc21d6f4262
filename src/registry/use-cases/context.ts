import type { Bus } from '../../core/bus.js';
import { PlexusError } from '../../core/errors.js';
import type { RegistryStore } from '../../store/index.js';
import { RegistryErrors } from '../errors.js';
import type { Device } from '../model.js';

/** What every registry use case needs: its store, the bus, and the time. */
export interface RegistryContext {
  readonly store: RegistryStore;
  readonly bus: Bus;
  /** Current time as an ISO string. */
  readonly now: () => string;
  /** Whether `id` is already a CONNECT user name of `tenant` that is not a device (an MQTT user). */
  readonly idTaken: (tenant: string, id: string) => Promise<boolean>;
}

export const notFound = {
  device: (id: string) => new PlexusError(RegistryErrors.DEVICE_NOT_FOUND, `device ${id} does not exist`),
  profile: (id: string) => new PlexusError(RegistryErrors.PROFILE_NOT_FOUND, `profile ${id} does not exist`),
  group: (id: string) => new PlexusError(RegistryErrors.GROUP_NOT_FOUND, `group ${id} does not exist`),
  tenant: (id: string) => new PlexusError(RegistryErrors.TENANT_NOT_FOUND, `tenant ${id} does not exist`),
};

export async function requireDevice(store: RegistryStore, tenant: string, id: string): Promise<Device> {
  const d = await store.getDevice(tenant, id);
  if (!d) throw notFound.device(id);
  return d;
}
