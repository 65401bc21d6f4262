import type { Bus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { AuditStore } from '../store/index.js';
import type { AuditQuery, AuditRecord } from './audit-model.js';

export interface AuditDeps {
  readonly store: AuditStore;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly log: Logger;
}

export type AuditEntry = Omit<AuditRecord, 'seq' | 'ts'>;

export type AuditService = ReturnType<typeof createAuditService>;

/** The audit trail: who changed what, including refused attempts. */
export function createAuditService({ store, bus, clock, log }: AuditDeps) {
  // A deleted tenant's trail goes with it, so a new tenant of the same id
  // starts clean; the deletion itself stays on record in the tenant of the
  // platform admin who did it.
  bus.subscribe('audit', 'registry', (change) => {
    if (change.kind !== 'tenant-deleted') return;
    store
      .deleteTenant(change.tenant)
      .catch((err: unknown) => log.error({ err, tenant: change.tenant }, 'audit purge failed'));
  });
  return {
    /** Never throws: a failing audit write is logged loudly but does not undo the change it describes. */
    async record(entry: AuditEntry): Promise<void> {
      try {
        await store.append({ ...entry, ts: new Date(clock.now()).toISOString() });
      } catch (err) {
        log.error({ err, action: entry.action }, 'audit write failed');
      }
    },
    list: (tenant: string, q: AuditQuery) => store.list(tenant, q),
  };
}
