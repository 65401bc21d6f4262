import type { AuditQuery, AuditRecord } from '../security/audit-model.js';
import type { Page } from './page.js';

/** Append-only audit trail. */
export interface AuditStore {
  append(r: Omit<AuditRecord, 'seq'>): Promise<void>;
  /** Newest first. */
  list(tenant: string, q: AuditQuery): Promise<Page<AuditRecord>>;
  /** Removes a deleted tenant's trail. */
  deleteTenant(tenant: string): Promise<void>;
}
