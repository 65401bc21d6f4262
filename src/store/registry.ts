import type {
  Credential,
  Device,
  DeviceStatus,
  Group,
  Profile,
  StoredCredential,
  Tenant,
} from '../registry/model.js';
import type { Page, PageQuery } from './page.js';

export interface DeviceFilter {
  readonly profile?: string | undefined;
  readonly group?: string | undefined;
  readonly status?: string | undefined;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /** Case-insensitive substring of id or name. */
  readonly search?: string | undefined;
}

/**
 * Storage of the registry context. Every method after the tenant ones takes
 * the tenant first: there is no way to read across tenants by accident.
 * Inserts of an existing key reject with a `StoreConflict`.
 */
export interface RegistryStore {
  /** Inserts the tenant with its default profile in one transaction. */
  insertTenant(t: Tenant, defaultProfile: Profile): Promise<void>;
  getTenant(id: string): Promise<Tenant | undefined>;
  listTenants(q: PageQuery): Promise<Page<Tenant>>;
  updateTenant(t: Tenant): Promise<void>;
  /** Removes the tenant and everything it owns. */
  deleteTenant(id: string): Promise<boolean>;

  insertProfile(tenant: string, p: Profile): Promise<void>;
  getProfile(tenant: string, id: string): Promise<Profile | undefined>;
  listProfiles(tenant: string, q: PageQuery): Promise<Page<Profile>>;
  updateProfile(tenant: string, p: Profile): Promise<void>;
  deleteProfile(tenant: string, id: string): Promise<boolean>;
  countDevicesWithProfile(tenant: string, id: string): Promise<number>;

  insertGroup(tenant: string, g: Group): Promise<void>;
  getGroup(tenant: string, id: string): Promise<Group | undefined>;
  listGroups(tenant: string, q: PageQuery): Promise<Page<Group>>;
  updateGroup(tenant: string, g: Group): Promise<void>;
  deleteGroup(tenant: string, id: string): Promise<boolean>;
  /** Of `ids`, those that are not groups of the tenant. */
  missingGroups(tenant: string, ids: readonly string[]): Promise<string[]>;

  /** Inserts the device, its group memberships and its first credential in one transaction. */
  insertDevice(tenant: string, d: Device, credential: StoredCredential): Promise<void>;
  getDevice(tenant: string, id: string): Promise<Device | undefined>;
  listDevices(tenant: string, filter: DeviceFilter, q: PageQuery): Promise<Page<Device>>;
  countDevices(tenant: string): Promise<number>;
  /** Devices per connection status (the fleet overview). */
  countDevicesByStatus(tenant: string): Promise<Record<DeviceStatus, number>>;
  /** Replaces the device's fields and group memberships in one transaction. */
  updateDevice(tenant: string, d: Device): Promise<void>;
  deleteDevice(tenant: string, id: string): Promise<boolean>;
  /** Connection status and last-seen time only (hot: written on every connect and disconnect). */
  setDeviceStatus(tenant: string, id: string, status: DeviceStatus, lastSeen: string): Promise<void>;

  insertCredential(tenant: string, device: string, c: StoredCredential): Promise<void>;
  listCredentials(tenant: string, device: string): Promise<StoredCredential[]>;
  deleteCredential(tenant: string, device: string, id: string): Promise<boolean>;
  /** Deletes all but `keep`; returns the ids removed. */
  deleteOtherCredentials(tenant: string, device: string, keep: string): Promise<string[]>;
  touchCredential(tenant: string, device: string, id: string, at: string): Promise<void>;
}

export type { Credential };
