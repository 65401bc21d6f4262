import type { Bus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import { insertOrConflict, PlexusError } from '../core/errors.js';
import { randomId } from '../core/ids.js';
import type { DeviceFilter, Page, PageQuery, RegistryStore } from '../store/index.js';
import { RegistryErrors } from './errors.js';
import {
  type Credential,
  DEFAULT_PROFILE_ID,
  DEFAULT_PROFILE_SPEC,
  type Device,
  type Group,
  grantProblem,
  newDeviceSecret,
  type Profile,
  type ProfileSpec,
  type StoredCredential,
  secretMatches,
  type Tenant,
  telemetryKeyProblem,
} from './model.js';

export interface RegistryDeps {
  readonly store: RegistryStore;
  readonly bus: Bus;
  readonly clock: Clock;
}

export interface DeviceInput {
  readonly id?: string | undefined;
  readonly name?: string | undefined;
  readonly profile?: string | undefined;
  readonly groups?: readonly string[] | undefined;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly enabled?: boolean | undefined;
}

/** A profile as sent by a client: every field optional, grants and limits partial. */
export type ProfileInput = Partial<Omit<ProfileSpec, 'grants' | 'limits'>> & {
  readonly id: string;
  readonly name?: string | undefined;
  readonly description?: string | undefined;
  readonly grants?: Partial<ProfileSpec['grants']> | undefined;
  readonly limits?: Partial<ProfileSpec['limits']> | undefined;
};

export interface NamedInput {
  readonly id: string;
  readonly name?: string | undefined;
  readonly description?: string | undefined;
}

export interface NewSecret extends Credential {
  readonly secret: string;
  /** Credentials removed because `revokeOthers` was asked. */
  readonly revoked: string[];
}

const publicCredential = ({ secretHash: _h, ...c }: StoredCredential): Credential => c;

export type RegistryService = ReturnType<typeof createRegistryService>;

/** Use cases of the registry. Every call names its tenant; nothing crosses tenants. */
export function createRegistryService({ store, bus, clock }: RegistryDeps) {
  const now = () => new Date(clock.now()).toISOString();

  const notFound = {
    device: (id: string) => new PlexusError(RegistryErrors.DEVICE_NOT_FOUND, `device ${id} does not exist`),
    profile: (id: string) =>
      new PlexusError(RegistryErrors.PROFILE_NOT_FOUND, `profile ${id} does not exist`),
    group: (id: string) => new PlexusError(RegistryErrors.GROUP_NOT_FOUND, `group ${id} does not exist`),
    tenant: (id: string) => new PlexusError(RegistryErrors.TENANT_NOT_FOUND, `tenant ${id} does not exist`),
  };

  async function checkReferences(
    tenant: string,
    profile: string | undefined,
    groups: readonly string[] | undefined,
  ) {
    const errors: { path: string; message: string }[] = [];
    if (profile !== undefined && !(await store.getProfile(tenant, profile))) {
      errors.push({ path: '/body/profile', message: `profile ${profile} does not exist` });
    }
    if (groups?.length) {
      for (const g of await store.missingGroups(tenant, groups)) {
        errors.push({ path: `/body/groups/${groups.indexOf(g)}`, message: `group ${g} does not exist` });
      }
    }
    if (errors.length) {
      throw new PlexusError(RegistryErrors.UNKNOWN_REFERENCE, errors.map((e) => e.message).join('; '), {
        errors,
      });
    }
  }

  function checkProfileSpec(spec: Omit<ProfileInput, 'id'>) {
    const errors: { path: string; message: string }[] = [];
    for (const [key, def] of Object.entries(spec.telemetry ?? {})) {
      const problem = telemetryKeyProblem(def);
      if (problem) errors.push({ path: `/body/telemetry/${key}`, message: problem });
    }
    for (const dir of ['publish', 'subscribe'] as const) {
      (spec.grants?.[dir] ?? []).forEach((f, i) => {
        const problem = grantProblem(f);
        if (problem)
          errors.push({ path: `/body/grants/${dir}/${i}`, message: `${JSON.stringify(f)} ${problem}` });
      });
    }
    if (errors.length) {
      throw new PlexusError(
        RegistryErrors.PROFILE_INVALID,
        errors.map((e) => `${e.path.slice(5)}: ${e.message}`).join('; '),
        { errors },
      );
    }
  }

  async function requireDevice(tenant: string, id: string): Promise<Device> {
    const d = await store.getDevice(tenant, id);
    if (!d) throw notFound.device(id);
    return d;
  }

  return {
    // ── tenants ────────────────────────────────────────────────────────────
    async createTenant(input: { id: string; name?: string | undefined }): Promise<Tenant> {
      if (await store.getTenant(input.id)) {
        throw new PlexusError(RegistryErrors.TENANT_EXISTS, `tenant ${input.id} already exists`);
      }
      const at = now();
      const tenant: Tenant = { id: input.id, name: input.name ?? input.id, createdAt: at, updatedAt: at };
      await insertOrConflict(
        () => store.insertTenant(tenant),
        RegistryErrors.TENANT_EXISTS,
        `tenant ${input.id} already exists`,
      );
      await store.insertProfile(input.id, {
        id: DEFAULT_PROFILE_ID,
        name: 'Default',
        description: 'Profile of devices created without one.',
        ...DEFAULT_PROFILE_SPEC,
        createdAt: at,
        updatedAt: at,
      });
      return tenant;
    },
    async getTenant(id: string): Promise<Tenant> {
      const t = await store.getTenant(id);
      if (!t) throw notFound.tenant(id);
      return t;
    },
    findTenant: (id: string) => store.getTenant(id),
    listTenants: (q: PageQuery) => store.listTenants(q),
    async updateTenant(id: string, patch: { name?: string | undefined }): Promise<Tenant> {
      const t = await this.getTenant(id);
      const next: Tenant = { ...t, name: patch.name ?? t.name, updatedAt: now() };
      await store.updateTenant(next);
      return next;
    },
    async deleteTenant(id: string): Promise<void> {
      if (id === 'default') {
        throw new PlexusError(
          RegistryErrors.TENANT_PROTECTED,
          'tenant default holds the first admin and cannot be deleted',
        );
      }
      if (!(await store.deleteTenant(id))) throw notFound.tenant(id);
      bus.publish('registry', { kind: 'tenant-deleted', tenant: id });
    },

    // ── profiles ───────────────────────────────────────────────────────────
    async createProfile(tenant: string, input: ProfileInput): Promise<Profile> {
      checkProfileSpec(input);
      if (await store.getProfile(tenant, input.id)) {
        throw new PlexusError(RegistryErrors.PROFILE_EXISTS, `profile ${input.id} already exists`);
      }
      const at = now();
      const p: Profile = {
        ...DEFAULT_PROFILE_SPEC,
        ...input,
        grants: { ...DEFAULT_PROFILE_SPEC.grants, ...input.grants },
        limits: { ...DEFAULT_PROFILE_SPEC.limits, ...input.limits },
        name: input.name ?? input.id,
        description: input.description ?? '',
        createdAt: at,
        updatedAt: at,
      };
      await insertOrConflict(
        () => store.insertProfile(tenant, p),
        RegistryErrors.PROFILE_EXISTS,
        `profile ${input.id} already exists`,
      );
      return p;
    },
    async getProfile(tenant: string, id: string): Promise<Profile> {
      const p = await store.getProfile(tenant, id);
      if (!p) throw notFound.profile(id);
      return p;
    },
    listProfiles: (tenant: string, q: PageQuery) => store.listProfiles(tenant, q),
    async updateProfile(tenant: string, id: string, patch: Omit<ProfileInput, 'id'>): Promise<Profile> {
      checkProfileSpec(patch);
      const p = await this.getProfile(tenant, id);
      const next: Profile = {
        ...p,
        ...patch,
        grants: { ...p.grants, ...patch.grants },
        limits: { ...p.limits, ...patch.limits },
        name: patch.name ?? p.name,
        description: patch.description ?? p.description,
        id,
        updatedAt: now(),
      };
      await store.updateProfile(tenant, next);
      return next;
    },
    async deleteProfile(tenant: string, id: string): Promise<void> {
      await this.getProfile(tenant, id);
      if (id === DEFAULT_PROFILE_ID) {
        throw new PlexusError(
          RegistryErrors.PROFILE_IN_USE,
          'the default profile is used for devices created without one',
        );
      }
      const n = await store.countDevicesWithProfile(tenant, id);
      if (n > 0)
        throw new PlexusError(
          RegistryErrors.PROFILE_IN_USE,
          `profile ${id} is used by ${n} device(s); move them first`,
        );
      await store.deleteProfile(tenant, id);
    },

    // ── groups ─────────────────────────────────────────────────────────────
    async createGroup(tenant: string, input: NamedInput): Promise<Group> {
      if (await store.getGroup(tenant, input.id)) {
        throw new PlexusError(RegistryErrors.GROUP_EXISTS, `group ${input.id} already exists`);
      }
      const at = now();
      const g: Group = {
        id: input.id,
        name: input.name ?? input.id,
        description: input.description ?? '',
        createdAt: at,
        updatedAt: at,
      };
      await insertOrConflict(
        () => store.insertGroup(tenant, g),
        RegistryErrors.GROUP_EXISTS,
        `group ${input.id} already exists`,
      );
      return g;
    },
    async getGroup(tenant: string, id: string): Promise<Group> {
      const g = await store.getGroup(tenant, id);
      if (!g) throw notFound.group(id);
      return g;
    },
    listGroups: (tenant: string, q: PageQuery) => store.listGroups(tenant, q),
    async updateGroup(tenant: string, id: string, patch: Omit<NamedInput, 'id'>): Promise<Group> {
      const g = await this.getGroup(tenant, id);
      const next: Group = {
        ...g,
        name: patch.name ?? g.name,
        description: patch.description ?? g.description,
        updatedAt: now(),
      };
      await store.updateGroup(tenant, next);
      return next;
    },
    async deleteGroup(tenant: string, id: string): Promise<void> {
      if (!(await store.deleteGroup(tenant, id))) throw notFound.group(id);
    },

    // ── devices ────────────────────────────────────────────────────────────
    async createDevice(tenant: string, input: DeviceInput): Promise<Device & { secret: string }> {
      const id = input.id ?? randomId('dev');
      const profile = input.profile ?? DEFAULT_PROFILE_ID;
      if (await store.getDevice(tenant, id))
        throw new PlexusError(RegistryErrors.DEVICE_EXISTS, `device ${id} already exists`);
      await checkReferences(tenant, profile, input.groups);
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
    getDevice: requireDevice,
    findDevice: (tenant: string, id: string) => store.getDevice(tenant, id),
    listDevices: (tenant: string, filter: DeviceFilter, q: PageQuery): Promise<Page<Device>> =>
      store.listDevices(tenant, filter, q),
    countDevices: (tenant: string) => store.countDevices(tenant),
    async updateDevice(tenant: string, id: string, patch: Omit<DeviceInput, 'id'>): Promise<Device> {
      const d = await requireDevice(tenant, id);
      await checkReferences(tenant, patch.profile, patch.groups);
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
      bus.publish('registry', { kind: 'device-updated', tenant, device: id });
      return next;
    },
    async deleteDevice(tenant: string, id: string): Promise<void> {
      if (!(await store.deleteDevice(tenant, id))) throw notFound.device(id);
      bus.publish('registry', { kind: 'device-deleted', tenant, device: id });
    },

    // ── credentials ────────────────────────────────────────────────────────
    async addSecret(
      tenant: string,
      device: string,
      opts: { revokeOthers?: boolean | undefined } = {},
    ): Promise<NewSecret> {
      await requireDevice(tenant, device);
      const { secret, hash } = newDeviceSecret();
      const cred: StoredCredential = {
        id: randomId('cred'),
        kind: 'secret',
        secretHash: hash,
        createdAt: now(),
        lastUsedAt: null,
      };
      await store.insertCredential(tenant, device, cred);
      const revoked = opts.revokeOthers ? await store.deleteOtherCredentials(tenant, device, cred.id) : [];
      for (const credential of revoked)
        bus.publish('registry', { kind: 'credential-revoked', tenant, device, credential });
      return { ...publicCredential(cred), secret, revoked };
    },
    async listCredentials(tenant: string, device: string): Promise<Credential[]> {
      await requireDevice(tenant, device);
      return (await store.listCredentials(tenant, device)).map(publicCredential);
    },
    async revokeCredential(tenant: string, device: string, id: string): Promise<void> {
      await requireDevice(tenant, device);
      if (!(await store.deleteCredential(tenant, device, id))) {
        throw new PlexusError(
          RegistryErrors.CREDENTIAL_NOT_FOUND,
          `credential ${id} of device ${device} does not exist`,
        );
      }
      bus.publish('registry', { kind: 'credential-revoked', tenant, device, credential: id });
    },
    /**
     * Checks a device secret; returns the device and matching credential id,
     * or undefined (unknown device, disabled device or wrong secret alike).
     */
    async verifyDeviceSecret(
      tenant: string,
      id: string,
      secret: string,
    ): Promise<{ device: Device; credential: string } | undefined> {
      const device = await store.getDevice(tenant, id);
      if (!device?.enabled) return undefined;
      for (const c of await store.listCredentials(tenant, id)) {
        if (secretMatches(secret, c.secretHash)) return { device, credential: c.id };
      }
      return undefined;
    },
  };
}
