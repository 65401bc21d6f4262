import type { TwinDoc } from '../../twin/model.js';
import { type TwinRow, toTwin, twinValues } from '../rows/twin.js';
import type { TwinStore } from '../twin.js';
import type { PgPool } from './database.js';
import { statement } from './statement.js';

/**
 * Compare-and-set without locks held across calls: the INSERT of a first
 * version loses to a concurrent one on the primary key (DO NOTHING), and
 * the UPDATE re-checks `version` on the row a concurrent writer just
 * committed (READ COMMITTED re-evaluates the WHERE after waiting), so of
 * several writers expecting the same version exactly one succeeds.
 */
const SQL = {
  get: statement(
    `SELECT version, desired, desired_version, desired_updated, reported, reported_version, reported_updated
     FROM twins WHERE tenant = $1 AND device = $2`,
  ),
  create: statement(
    `INSERT INTO twins (tenant, device, version, desired, desired_version, desired_updated,
       reported, reported_version, reported_updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT DO NOTHING`,
  ),
  update: statement(
    `UPDATE twins SET version = $3, desired = $4, desired_version = $5, desired_updated = $6,
       reported = $7, reported_version = $8, reported_updated = $9
     WHERE tenant = $1 AND device = $2 AND version = $10`,
  ),
  deleteDevice: statement('DELETE FROM twins WHERE tenant = $1 AND device = $2'),
  deleteTenant: statement('DELETE FROM twins WHERE tenant = $1'),
};

export function createPgTwinStore(pool: PgPool): TwinStore {
  return {
    async get(tenant, device) {
      const r = (await pool.query<TwinRow>(SQL.get([tenant, device]))).rows[0];
      return r && toTwin(r);
    },
    async put(tenant, device, doc: TwinDoc, expected) {
      const values = [tenant, device, ...twinValues(doc)];
      const r = await pool.query(expected === 0 ? SQL.create(values) : SQL.update([...values, expected]));
      return r.rowCount === 1;
    },
    async delete(tenant, device) {
      await pool.query(
        device === undefined ? SQL.deleteTenant([tenant]) : SQL.deleteDevice([tenant, device]),
      );
    },
  };
}
