import type { TwinDoc, TwinSide } from '../../twin/model.js';
import type { TwinStore } from '../twin.js';
import type { PgPool } from './database.js';
import { statement } from './statement.js';

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
      if (!r) return undefined;
      return {
        version: r.version,
        desired: side(r.desired, r.desired_version, r.desired_updated),
        reported: side(r.reported, r.reported_version, r.reported_updated),
      };
    },
    async put(tenant, device, doc: TwinDoc, expected) {
      const values = [
        tenant,
        device,
        doc.version,
        JSON.stringify(doc.desired.state),
        doc.desired.version,
        JSON.stringify(doc.desired.updated),
        JSON.stringify(doc.reported.state),
        doc.reported.version,
        JSON.stringify(doc.reported.updated),
      ];
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
