import { insertOrConflict, PlexusError } from '../../core/errors.js';
import type { PageQuery } from '../../store/index.js';
import { RegistryErrors } from '../errors.js';
import { DEFAULT_PROFILE_ID, DEFAULT_PROFILE_SPEC, type Tenant } from '../model.js';
import { notFound, type RegistryContext } from './context.js';

/** Tenants: creating one also creates its default profile. */
export function tenantUseCases({ store, bus, now }: RegistryContext) {
  const tenants = {
    async createTenant(input: { id: string; name?: string | undefined }): Promise<Tenant> {
      if (await store.getTenant(input.id)) {
        throw new PlexusError(RegistryErrors.TENANT_EXISTS, `tenant ${input.id} already exists`);
      }
      const at = now();
      const tenant: Tenant = { id: input.id, name: input.name ?? input.id, createdAt: at, updatedAt: at };
      const defaultProfile = {
        id: DEFAULT_PROFILE_ID,
        name: 'Default',
        description: 'Profile of devices created without one.',
        ...DEFAULT_PROFILE_SPEC,
        createdAt: at,
        updatedAt: at,
      };
      await insertOrConflict(
        () => store.insertTenant(tenant, defaultProfile),
        RegistryErrors.TENANT_EXISTS,
        `tenant ${input.id} already exists`,
      );
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
      const t = await tenants.getTenant(id);
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
  };
  return tenants;
}
