import type { TwinDoc, TwinSide } from '../../twin/model.js';
import type { TwinStore } from '../twin.js';
import { type SqliteDb, statementCache } from './database.js';

interface TwinRow {
  version: number;
  desired: string;
  desired_version: number;
  desired_updated: string;
  reported: string;
  reported_version: number;
  reported_updated: string;
}

const side = (state: string, version: number, updated: string): TwinSide => ({
  state: JSON.parse(state),
  version,
  updated: JSON.parse(updated),
});

export function createSqliteTwinStore(db: SqliteDb): TwinStore {
  const prepare = statementCache(db);
  return {
    async get(tenant, device) {
      const r = prepare('SELECT * FROM twins WHERE tenant = ? AND device = ?').get(tenant, device) as
        | TwinRow
        | undefined;
      if (!r) return undefined;
      return {
        version: r.version,
        desired: side(r.desired, r.desired_version, r.desired_updated),
        reported: side(r.reported, r.reported_version, r.reported_updated),
      };
    },
    async put(tenant, device, doc: TwinDoc, expected) {
      const values = [
        doc.version,
        JSON.stringify(doc.desired.state),
        doc.desired.version,
        JSON.stringify(doc.desired.updated),
        JSON.stringify(doc.reported.state),
        doc.reported.version,
        JSON.stringify(doc.reported.updated),
      ];
      if (expected === 0) {
        return (
          prepare(
            `INSERT OR IGNORE INTO twins (tenant, device, version, desired, desired_version, desired_updated,
               reported, reported_version, reported_updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          ).run(tenant, device, ...values).changes === 1
        );
      }
      return (
        prepare(
          `UPDATE twins SET version = ?, desired = ?, desired_version = ?, desired_updated = ?,
             reported = ?, reported_version = ?, reported_updated = ?
           WHERE tenant = ? AND device = ? AND version = ?`,
        ).run(...values, tenant, device, expected).changes === 1
      );
    },
    async delete(tenant, device) {
      if (device === undefined) prepare('DELETE FROM twins WHERE tenant = ?').run(tenant);
      else prepare('DELETE FROM twins WHERE tenant = ? AND device = ?').run(tenant, device);
    },
  };
}
