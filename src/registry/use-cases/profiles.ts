import { insertOrConflict, PlexusError } from '../../core/errors.js';
import type { PageQuery } from '../../store/index.js';
import { RegistryErrors } from '../errors.js';
import {
  DEFAULT_PROFILE_ID,
  DEFAULT_PROFILE_SPEC,
  grantProblem,
  type Profile,
  type ProfileSpec,
  telemetryKeyProblem,
} from '../model.js';
import { notFound, type RegistryContext } from './context.js';

/** A profile as sent by a client: every field optional, grants and limits partial. */
export type ProfileInput = Partial<Omit<ProfileSpec, 'grants' | 'limits'>> & {
  readonly id: string;
  readonly name?: string | undefined;
  readonly description?: string | undefined;
  readonly grants?: Partial<ProfileSpec['grants']> | undefined;
  readonly limits?: Partial<ProfileSpec['limits']> | undefined;
};

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
    const detail = errors.map((e) => `${e.path.slice('/body'.length)}: ${e.message}`).join('; ');
    throw new PlexusError(RegistryErrors.PROFILE_INVALID, detail, { errors });
  }
}

/** Device profiles, checked for consistency beyond what the schema can say. */
export function profileUseCases({ store, now }: RegistryContext) {
  const profiles = {
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
      const p = await profiles.getProfile(tenant, id);
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
      await profiles.getProfile(tenant, id);
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
  };
  return profiles;
}
