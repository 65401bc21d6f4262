import { insertOrConflict, PlexusError } from '../../core/errors.js';
import { randomId } from '../../core/ids.js';
import type { DeviceFilter, Page, PageQuery, RegistryStore } from '../../store/index.js';
import { RegistryErrors } from '../errors.js';
import { DEFAULT_PROFILE_ID, type Device, newDeviceSecret } from '../model.js';
import { notFound, type RegistryContext, requireDevice } from './context.js';

export interface DeviceInput {
  readonly id?: string | undefined;
  readonly name?: string | undefined;
  readonly profile?: string | undefined;
  readonly groups?: readonly string[] | undefined;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly enabled?: boolean | undefined;
}

/** Refuses profiles and groups the tenant does not have, all named at once. */
async function checkReferences(
  store: RegistryStore,
  tenant: string,
  profile: string | undefined,
  groups: readonly string[] | undefined,
) {
  const errors: { path: string; message: string }[] = [];
  if (profile !== undefined && !(await store.getProfile(tenant, profile))) {
    errors.push({ path: '/body/profile', message: `profile ${profile} does not exist` });
  }
  for (const g of groups?.length ? await store.missingGroups(tenant, groups) : []) {
    errors.push({ path: `/body/groups/${groups?.indexOf(g)}`, message: `group ${g} does not exist` });
  }
  if (errors.length) {
    throw new PlexusError(RegistryErrors.UNKNOWN_REFERENCE, errors.map((e) => e.message).join('; '), {
      errors,
    });
  }
}

/** Devices: every reference (profile, groups) must exist in the tenant. */
export function deviceUseCases({ store, bus, now, idTaken }: RegistryContext) {
  // Transports report connections as Uplinks (and the telemetry context
  // reports activity of connectionless devices); the registry keeps the
  // status fields. Data refreshes "last seen" at most once a minute per
  // device, so a busy fleet does not turn every message into a registry write.
  const seenWritten = new Map<string, number>();
  bus.subscribe('registry', 'uplink', (u) => {
    const key = `${u.tenant}\u0000${u.device}`;
    if (u.kind !== 'connected' && u.kind !== 'disconnected') {
      if ((seenWritten.get(key) ?? 0) > u.ts - 60_000) return;
      if (seenWritten.size >= 100_000) seenWritten.clear();
    }
    seenWritten.set(key, u.ts);
    const status = u.kind === 'disconnected' ? 'offline' : 'online';
    store.setDeviceStatus(u.tenant, u.device, status, new Date(u.ts).toISOString()).catch(() => undefined);
  });
  const devices = {
    async createDevice(tenant: string, input: DeviceInput): Promise<Device & { secret: string }> {
      const id = input.id ?? randomId('dev');
      const profile = input.profile ?? DEFAULT_PROFILE_ID;
      if (await store.getDevice(tenant, id))
        throw new PlexusError(RegistryErrors.DEVICE_EXISTS, `device ${id} already exists`);
      if (await idTaken(tenant, id)) {
        throw new PlexusError(
          RegistryErrors.DEVICE_ID_TAKEN,
          `${id} is an MQTT user of this tenant: a device id must not equal an MQTT user name (both log in as ${id})`,
        );
      }
      await checkReferences(store, tenant, profile, input.groups);
      const at = now();
      const device: Device = {
        id,
        name: input.name ?? id,
        profile,
        groups: [...new Set(input.groups ?? [])].sort(),
        labels: input.labels ?? {},
        enabled: input.enabled ?? true,
        status: 'unknown',
        lastSeen: null,
        firmware: null,
        createdAt: at,
        updatedAt: at,
      };
      const { secret, hash } = newDeviceSecret();
      const credential = {
        id: randomId('cred'),
        kind: 'secret' as const,
        secretHash: hash,
        createdAt: at,
        lastUsedAt: null,
      };
      await insertOrConflict(
        () => store.insertDevice(tenant, device, credential),
        RegistryErrors.DEVICE_EXISTS,
        `device ${id} already exists`,
      );
      return { ...device, secret };
    },
    getDevice: (tenant: string, id: string) => requireDevice(store, tenant, id),
    findDevice: (tenant: string, id: string) => store.getDevice(tenant, id),
    listDevices: (tenant: string, filter: DeviceFilter, q: PageQuery): Promise<Page<Device>> =>
      store.listDevices(tenant, filter, q),
    countDevices: (tenant: string) => store.countDevices(tenant),
    countDevicesByStatus: (tenant: string) => store.countDevicesByStatus(tenant),
    async updateDevice(tenant: string, id: string, patch: Omit<DeviceInput, 'id'>): Promise<Device> {
      const d = await requireDevice(store, tenant, id);
      await checkReferences(store, tenant, patch.profile, patch.groups);
      const next: Device = {
        ...d,
        name: patch.name ?? d.name,
        profile: patch.profile ?? d.profile,
        groups: patch.groups ? [...new Set(patch.groups)].sort() : d.groups,
        labels: patch.labels ?? d.labels,
        enabled: patch.enabled ?? d.enabled,
        updatedAt: now(),
      };
      await store.updateDevice(tenant, next);
      bus.publish('registry', { kind: 'device-updated', tenant, device: id, enabled: next.enabled });
      return next;
    },
    async deleteDevice(tenant: string, id: string): Promise<void> {
      if (!(await store.deleteDevice(tenant, id))) throw notFound.device(id);
      bus.publish('registry', { kind: 'device-deleted', tenant, device: id });
    },
  };
  return devices;
}
