import type { TwinDoc } from '../../twin/model.js';
import { type TwinRow, toTwin, twinValues } from '../rows/twin.js';
import type { TwinStore } from '../twin.js';
import { type SqliteDb, statementCache } from './database.js';

export function createSqliteTwinStore(db: SqliteDb): TwinStore {
  const prepare = statementCache(db);
  return {
    async get(tenant, device) {
      const r = prepare('SELECT * FROM twins WHERE tenant = ? AND device = ?').get(tenant, device) as
        | TwinRow
        | undefined;
      return r && toTwin(r);
    },
    async put(tenant, device, doc: TwinDoc, expected) {
      const values = twinValues(doc);
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
