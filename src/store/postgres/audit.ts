import type { AuditStore } from '../audit.js';
import { toPage } from '../page.js';
import { type AuditRow, toAuditRecord } from '../rows/audit.js';
import type { PgPool } from './database.js';
import { seqBelow } from './seq-cursor.js';
import { statement } from './statement.js';
import { Where } from './where.js';

const APPEND =
  statement(`INSERT INTO audit_log (ts, tenant, actor, action, resource, resource_id, status, ip, details)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`);
const DELETE_TENANT = statement('DELETE FROM audit_log WHERE tenant = $1');

/** The audit trail on PostgreSQL: newest first, pages continue below a seq (as SQLite's). */
export function createPgAuditStore(pool: PgPool): AuditStore {
  return {
    async append(r) {
      const details = r.details === null ? null : JSON.stringify(r.details);
      await pool.query(
        APPEND([r.ts, r.tenant, r.actor, r.action, r.resource, r.resourceId, r.status, r.ip, details]),
      );
    },
    async deleteTenant(tenant) {
      await pool.query(DELETE_TENANT([tenant]));
    },
    async list(tenant, q) {
      const below = q.after === undefined ? undefined : seqBelow(q.after);
      if (q.after !== undefined && below === undefined) return { items: [] };
      const where = new Where(tenant);
      where.add('seq', below, '<');
      where.add('action', q.action);
      where.add('actor', q.actor);
      where.add('resource', q.resource);
      where.add('resource_id', q.resourceId);
      where.add('ts', q.from, '>=');
      where.add('ts', q.to, '<');
      const limit = where.param(q.limit + 1);
      const { rows } = await pool.query<AuditRow>(
        `SELECT * FROM audit_log WHERE ${where} ORDER BY seq DESC LIMIT ${limit}`,
        where.args,
      );
      return toPage(rows.map(toAuditRecord), q.limit, (r) => String(r.seq));
    },
  };
}
