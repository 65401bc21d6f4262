import type { AuditStore } from '../audit.js';
import { toPage } from '../page.js';
import { type AuditRow, toAuditRecord } from '../rows/audit.js';
import { type SqliteDb, statementCache } from './database.js';

export function createSqliteAuditStore(db: SqliteDb): AuditStore {
  const prepare = statementCache(db);
  const insert = prepare(
    `INSERT INTO audit_log (ts, tenant, actor, action, resource, resource_id, status, ip, details)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return {
    async append(r) {
      insert.run(
        r.ts,
        r.tenant,
        r.actor,
        r.action,
        r.resource,
        r.resourceId,
        r.status,
        r.ip,
        r.details === null ? null : JSON.stringify(r.details),
      );
    },
    async deleteTenant(tenant) {
      prepare('DELETE FROM audit_log WHERE tenant = ?').run(tenant);
    },
    async list(tenant, q) {
      const where = ['tenant = ?'];
      const args: unknown[] = [tenant];
      const eq = (col: string, v: string | undefined) => {
        if (v === undefined) return;
        where.push(`${col} = ?`);
        args.push(v);
      };
      if (q.after !== undefined) {
        where.push('seq < ?');
        args.push(Number(q.after));
      }
      eq('action', q.action);
      eq('actor', q.actor);
      eq('resource', q.resource);
      eq('resource_id', q.resourceId);
      if (q.from !== undefined) {
        where.push('ts >= ?');
        args.push(q.from);
      }
      if (q.to !== undefined) {
        where.push('ts < ?');
        args.push(q.to);
      }
      args.push(q.limit + 1);
      const rows = prepare(
        `SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`,
      ).all(...args) as AuditRow[];
      return toPage(rows.map(toAuditRecord), q.limit, (r) => String(r.seq));
    },
  };
}
