/**
 * Audit trail (and later rate limits and intrusion detection).
 * @module
 */

export { type AuditEntry, type AuditService, createAuditService } from './audit.js';
export type { AuditQuery, AuditRecord } from './audit-model.js';
export { redact } from './audit-model.js';
export { auditRoutes } from './routes.js';
