import type { Logger } from '../core/logger.js';
import type { RegistryService } from '../registry/index.js';
import type { PurgeRule, TelemetryWriter } from '../store/index.js';
import { DAY } from './model.js';

/** Devices per purge rule: keeps each DELETE's IN list and transaction short. */
const CHUNK = 500;

/**
 * Retention per profile (ARCHITECTURE §7): raw points and events older than
 * the profile's `retentionDays`, rollups older than `rollupRetentionDays`,
 * are deleted by the writer (the one connection that writes). Walks every
 * tenant's devices by profile; run hourly.
 */
export async function enforceRetention(
  registry: RegistryService,
  writer: TelemetryWriter,
  now: number,
  log: Logger,
): Promise<number> {
  let removed = 0;
  let tenantAfter: string | undefined;
  do {
    const tenants = await registry.listTenants({ limit: 100, after: tenantAfter });
    for (const t of tenants.items) {
      let profileAfter: string | undefined;
      do {
        const profiles = await registry.listProfiles(t.id, { limit: 100, after: profileAfter });
        for (const p of profiles.items) {
          let deviceAfter: string | undefined;
          do {
            const devices = await registry.listDevices(
              t.id,
              { profile: p.id },
              { limit: CHUNK, after: deviceAfter },
            );
            if (devices.items.length > 0) {
              const rule: PurgeRule = {
                tenant: t.id,
                devices: devices.items.map((d) => d.id),
                rawBefore: now - p.retentionDays * DAY,
                eventsBefore: now - p.retentionDays * DAY,
                rollupsBefore: now - p.rollupRetentionDays * DAY,
              };
              removed += await writer.purge([rule]);
            }
            deviceAfter = devices.nextAfter;
          } while (deviceAfter !== undefined);
        }
        profileAfter = profiles.nextAfter;
      } while (profileAfter !== undefined);
    }
    tenantAfter = tenants.nextAfter;
  } while (tenantAfter !== undefined);
  if (removed > 0) log.info({ removed }, 'telemetry retention: old rows deleted');
  return removed;
}
