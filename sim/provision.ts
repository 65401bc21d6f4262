import { SimError } from './api.js';
import type { ScenarioPack, SimApi, SimDevice, Timing } from './pack.js';

/**
 * Puts a pack's resources on the server so that running it again on the
 * same server works: profiles and groups are created or left as they are;
 * rules are applied like `plexus rules apply` (same name → new version, an
 * unchanged rule stays as it is); devices are created, or, when they exist,
 * put back in the pack's profile and groups and given a new secret (the
 * older ones are revoked: the simulator is the only holder of them).
 */

export interface Provisioned {
  /** Device id → the secret to connect with. */
  readonly secrets: ReadonlyMap<string, string>;
  readonly profilesCreated: number;
  readonly groupsCreated: number;
  readonly devicesCreated: number;
  readonly rules: readonly { name: string; version: number; change: string }[];
}

const isConflict = (err: unknown) => err instanceof SimError && err.status === 409;

/** POST, where "it already exists" (409) is fine: true when it was created. */
async function createOrKeep(api: SimApi, path: string, body: Record<string, unknown>): Promise<boolean> {
  try {
    await api.request('POST', path, body);
    return true;
  } catch (err) {
    if (isConflict(err)) return false;
    throw err;
  }
}

async function upsertDevice(api: SimApi, d: SimDevice): Promise<{ secret: string; created: boolean }> {
  const fields = {
    profile: d.profile,
    ...(d.groups ? { groups: [...d.groups] } : {}),
    ...(d.labels ? { labels: { ...d.labels } } : {}),
  };
  try {
    const made = await api.request<{ secret: string }>('POST', '/api/v1/devices', { id: d.id, ...fields });
    return { secret: made.secret, created: true };
  } catch (err) {
    if (!isConflict(err)) throw err;
  }
  const id = encodeURIComponent(d.id);
  await api.request('PATCH', `/api/v1/devices/${id}`, { ...fields, enabled: true });
  const fresh = await api.request<{ secret: string }>('POST', `/api/v1/devices/${id}/secrets`, {
    revokeOthers: true,
  });
  return { secret: fresh.secret, created: false };
}

/** Runs `work` over `items` with at most `limit` at once, in order of start; rejects on the first failure. */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export async function provision(
  api: SimApi,
  pack: ScenarioPack,
  t: Timing,
  devices: readonly SimDevice[],
): Promise<Provisioned> {
  let profilesCreated = 0;
  for (const p of pack.profiles) if (await createOrKeep(api, '/api/v1/profiles', p)) profilesCreated++;
  let groupsCreated = 0;
  for (const g of pack.groups ?? []) if (await createOrKeep(api, '/api/v1/groups', g)) groupsCreated++;

  const rules = pack.rules(t);
  const applied =
    rules.length === 0
      ? { results: [] }
      : await api.request<{ results: { name: string; version: number; change: string }[] }>(
          'POST',
          '/api/v1/rules/apply',
          { rules },
        );

  const secrets = new Map<string, string>();
  let devicesCreated = 0;
  // A few at once: fast enough for thousands of devices, gentle on a small server.
  await eachLimited(devices, 8, async (d) => {
    const { secret, created } = await upsertDevice(api, d);
    secrets.set(d.id, secret);
    if (created) devicesCreated++;
  });
  return { secrets, profilesCreated, groupsCreated, devicesCreated, rules: applied.results };
}
