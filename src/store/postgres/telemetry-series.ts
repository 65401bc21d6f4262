import type { Queryable } from './database.js';

/** Cached ids at most; beyond, the cache starts over (a lookup costs one query per new batch). */
const MAX_CACHED = 200_000;

/**
 * Series ids (telemetry_series) by tenant → device → key, interned in
 * batches: one statement inserts the new ones and reads back all of them.
 * The ids are committed before the data that uses them, so a cached id is
 * valid until forget() deletes its series (the writer clears the cache then).
 */
export class SeriesIds {
  readonly #ids = new Map<string, Map<string, Map<string, number>>>();
  #cached = 0;

  get(tenant: string, device: string, key: string): number | undefined {
    return this.#ids.get(tenant)?.get(device)?.get(key);
  }

  /** Looks up (creating when new) the ids of the given series, all distinct and uncached. */
  async intern(q: Queryable, wanted: readonly (readonly [string, string, string])[]): Promise<void> {
    let left = wanted;
    for (let round = 0; left.length > 0; round++) {
      // A series another connection is creating at the same moment is not in this statement's
      // snapshot (its INSERT waited, then did nothing): the next round reads it.
      if (round > 3) throw new Error(`telemetry: could not intern ${left.length} series`);
      const { rows } = await q.query<{ id: number; tenant: string; device: string; key: string }>(
        `WITH v AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS v(tenant, device, key)),
         ins AS (
           INSERT INTO telemetry_series (tenant, device, key)
           SELECT tenant, device, key FROM v ORDER BY tenant, device, key
           ON CONFLICT DO NOTHING RETURNING id, tenant, device, key)
         SELECT id, tenant, device, key FROM ins
         UNION ALL
         SELECT s.id, s.tenant, s.device, s.key FROM telemetry_series s JOIN v USING (tenant, device, key)`,
        [left.map((w) => w[0]), left.map((w) => w[1]), left.map((w) => w[2])],
      );
      if (this.#cached + rows.length > MAX_CACHED) this.clear();
      for (const r of rows) this.#set(r.tenant, r.device, r.key, r.id);
      left = left.filter(([t, d, k]) => this.get(t, d, k) === undefined);
    }
  }

  /** Drops one device's (or a tenant's) ids: their series were deleted. */
  forget(tenant: string, device?: string): void {
    const devices = this.#ids.get(tenant);
    if (!devices) return;
    if (device === undefined) {
      for (const keys of devices.values()) this.#cached -= keys.size;
      this.#ids.delete(tenant);
      return;
    }
    this.#cached -= devices.get(device)?.size ?? 0;
    devices.delete(device);
  }

  clear(): void {
    this.#ids.clear();
    this.#cached = 0;
  }

  #set(tenant: string, device: string, key: string, id: number): void {
    let devices = this.#ids.get(tenant);
    if (!devices) {
      devices = new Map();
      this.#ids.set(tenant, devices);
    }
    let keys = devices.get(device);
    if (!keys) {
      keys = new Map();
      devices.set(device, keys);
    }
    if (!keys.has(key)) this.#cached++;
    keys.set(key, id);
  }
}
