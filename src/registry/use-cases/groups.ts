import { insertOrConflict, PlexusError } from '../../core/errors.js';
import type { PageQuery } from '../../store/index.js';
import { RegistryErrors } from '../errors.js';
import type { Group } from '../model.js';
import { notFound, type RegistryContext } from './context.js';

export interface NamedInput {
  readonly id: string;
  readonly name?: string | undefined;
  readonly description?: string | undefined;
}

/** Device groups; membership lives on the devices. */
export function groupUseCases({ store, now }: RegistryContext) {
  const groups = {
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
      const g = await groups.getGroup(tenant, id);
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
  };
  return groups;
}
