import type { AuditRecord } from '../../security/audit-model.js';

/** Audit rows ↔ model, shared by the SQLite and PostgreSQL stores (same columns). */
export interface AuditRow {
  seq: number;
  ts: string;
  tenant: string;
  actor: string;
  action: string;
  resource: string;
  resource_id: string | null;
  status: number;
  ip: string | null;
  details: string | null;
}

export const toAuditRecord = (r: AuditRow): AuditRecord => ({
  seq: r.seq,
  ts: r.ts,
  tenant: r.tenant,
  actor: r.actor,
  action: r.action,
  resource: r.resource,
  resourceId: r.resource_id,
  status: r.status,
  ip: r.ip,
  details: r.details === null ? null : (JSON.parse(r.details) as Record<string, unknown>),
});
