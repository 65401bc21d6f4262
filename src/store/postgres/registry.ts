import type { DeviceStatus } from '../../registry/model.js';
import { toPage } from '../page.js';
import type { RegistryStore } from '../registry.js';
import {
  type CredentialRow,
  credentialValues,
  type DeviceRow,
  deviceValues,
  fold,
  type NamedRow,
  profileSpec,
  profileValues,
  type TenantRow,
  toCredential,
  toDevice,
  toGroup,
  toProfile,
  toTenant,
} from '../rows/registry.js';
import { type PgPool, rethrowPgConflict } from './database.js';
import { statement } from './statement.js';
import { PgStatusWriter } from './status-writer.js';

type ProfileRow = NamedRow & { spec: string };
type DeviceWithGroups = DeviceRow & { groups: string[] };

// Groups come along in the same round trip (group_members_device index).
const DEVICE_SELECT = `SELECT d.id, d.name, d.profile, d.labels, d.enabled, d.status, d.last_seen, d.firmware,
  d.created_at, d.updated_at,
  ARRAY(SELECT m.group_id FROM group_members m WHERE m.tenant = d.tenant AND m.device_id = d.id) AS groups
  FROM devices d`;
const device = (r: DeviceWithGroups) => toDevice(r, r.groups);

// Named statements for the fixed texts: the connect path (getDevice,
// listCredentials, getProfile, touchCredential) plans nothing per call.
const SQL = {
  // Single statements with data-modifying CTEs: one round trip, atomic, and
  // foreign keys are checked at the end of the statement, after every part.
  insertTenant:
    statement(`WITH t AS (INSERT INTO tenants (id, name, created_at, updated_at) VALUES ($8, $9, $10, $11))
    INSERT INTO profiles (tenant, id, name, description, spec, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7)`),
  getTenant: statement('SELECT * FROM tenants WHERE id = $1'),
  listTenants: statement('SELECT * FROM tenants WHERE id > $1 ORDER BY id LIMIT $2'),
  updateTenant: statement('UPDATE tenants SET name = $2, updated_at = $3 WHERE id = $1'),
  deleteTenant: statement('DELETE FROM tenants WHERE id = $1'),
  insertProfile: statement(`INSERT INTO profiles (tenant, id, name, description, spec, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7)`),
  getProfile: statement('SELECT * FROM profiles WHERE tenant = $1 AND id = $2'),
  listProfiles: statement('SELECT * FROM profiles WHERE tenant = $1 AND id > $2 ORDER BY id LIMIT $3'),
  updateProfile: statement(
    'UPDATE profiles SET name = $3, description = $4, spec = $5, updated_at = $6 WHERE tenant = $1 AND id = $2',
  ),
  deleteProfile: statement('DELETE FROM profiles WHERE tenant = $1 AND id = $2'),
  countWithProfile: statement('SELECT count(*) AS n FROM devices WHERE tenant = $1 AND profile = $2'),
  insertGroup: statement(`INSERT INTO device_groups (tenant, id, name, description, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6)`),
  getGroup: statement('SELECT * FROM device_groups WHERE tenant = $1 AND id = $2'),
  listGroups: statement('SELECT * FROM device_groups WHERE tenant = $1 AND id > $2 ORDER BY id LIMIT $3'),
  updateGroup: statement(
    'UPDATE device_groups SET name = $3, description = $4, updated_at = $5 WHERE tenant = $1 AND id = $2',
  ),
  deleteGroup: statement('DELETE FROM device_groups WHERE tenant = $1 AND id = $2'),
  missingGroups: statement(`SELECT g FROM unnest($2::text[]) AS g
    WHERE NOT EXISTS (SELECT 1 FROM device_groups WHERE tenant = $1 AND id = g)`),
  insertDevice: statement(`WITH d AS (INSERT INTO devices
      (tenant, id, name, profile, labels, enabled, status, last_seen, firmware, search, created_at, updated_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)),
    g AS (INSERT INTO group_members (tenant, group_id, device_id) SELECT $1, g, $2 FROM unnest($13::text[]) AS g)
    INSERT INTO credentials (tenant, device, id, kind, secret_hash, created_at, last_used_at)
    VALUES ($1, $2, $14, $15, $16, $17, $18)`),
  getDevice: statement(`${DEVICE_SELECT} WHERE d.tenant = $1 AND d.id = $2`),
  countDevices: statement('SELECT count(*) AS n FROM devices WHERE tenant = $1'),
  countByStatus: statement('SELECT status, count(*) AS n FROM devices WHERE tenant = $1 GROUP BY status'),
  // Memberships: drop those not kept, add the new ones; the two sets are disjoint.
  updateDevice: statement(`WITH u AS (UPDATE devices SET name = $3, profile = $4, labels = $5, enabled = $6,
      status = $7, last_seen = $8, firmware = $9, search = $10, updated_at = $11
      WHERE tenant = $1 AND id = $2 RETURNING id),
    x AS (DELETE FROM group_members WHERE tenant = $1 AND device_id = $2 AND group_id <> ALL ($12::text[]))
    INSERT INTO group_members (tenant, group_id, device_id) SELECT $1, g, u.id FROM u, unnest($12::text[]) AS g
    ON CONFLICT DO NOTHING`),
  deleteDevice: statement('DELETE FROM devices WHERE tenant = $1 AND id = $2'),
  insertCredential:
    statement(`INSERT INTO credentials (tenant, device, id, kind, secret_hash, created_at, last_used_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7)`),
  listCredentials: statement(
    'SELECT * FROM credentials WHERE tenant = $1 AND device = $2 ORDER BY created_at, id',
  ),
  deleteCredential: statement('DELETE FROM credentials WHERE tenant = $1 AND device = $2 AND id = $3'),
  deleteOtherCredentials: statement(
    'DELETE FROM credentials WHERE tenant = $1 AND device = $2 AND id <> $3 RETURNING id',
  ),
  touchCredential: statement(
    'UPDATE credentials SET last_used_at = $4 WHERE tenant = $1 AND device = $2 AND id = $3',
  ),
};

/** `%`, `_` and the escape character itself match literally in LIKE. */
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export function createPgRegistryStore(pool: PgPool): RegistryStore & { flush(): Promise<void> } {
  const statusWriter = new PgStatusWriter(pool);
  const changed = (r: { rowCount: number | null }) => (r.rowCount ?? 0) > 0;
  const count = async (q: ReturnType<typeof SQL.countDevices>) =>
    (await pool.query<{ n: number }>(q)).rows[0]?.n ?? 0;
  return {
    async insertTenant(t, p) {
      const values = [...profileValues(t.id, p), t.id, t.name, t.createdAt, t.updatedAt];
      await pool.query(SQL.insertTenant(values)).catch((err) => rethrowPgConflict(err, `tenant ${t.id}`));
    },
    async getTenant(id) {
      const r = (await pool.query<TenantRow>(SQL.getTenant([id]))).rows[0];
      return r && toTenant(r);
    },
    async listTenants(q) {
      const { rows } = await pool.query<TenantRow>(SQL.listTenants([q.after ?? '', q.limit + 1]));
      return toPage(rows.map(toTenant), q.limit, (t) => t.id);
    },
    async updateTenant(t) {
      await pool.query(SQL.updateTenant([t.id, t.name, t.updatedAt]));
    },
    async deleteTenant(id) {
      // Profiles, groups, devices (with their memberships and credentials),
      // users (with their sessions) and API keys cascade from the tenant row.
      // The audit context drops its rows on the `tenant-deleted` event.
      return changed(await pool.query(SQL.deleteTenant([id])));
    },

    async insertProfile(tenant, p) {
      await pool
        .query(SQL.insertProfile(profileValues(tenant, p)))
        .catch((err) => rethrowPgConflict(err, `profile ${p.id}`));
    },
    async getProfile(tenant, id) {
      const r = (await pool.query<ProfileRow>(SQL.getProfile([tenant, id]))).rows[0];
      return r && toProfile(r);
    },
    async listProfiles(tenant, q) {
      const { rows } = await pool.query<ProfileRow>(SQL.listProfiles([tenant, q.after ?? '', q.limit + 1]));
      return toPage(rows.map(toProfile), q.limit, (p) => p.id);
    },
    async updateProfile(tenant, p) {
      await pool.query(SQL.updateProfile([tenant, p.id, p.name, p.description, profileSpec(p), p.updatedAt]));
    },
    async deleteProfile(tenant, id) {
      return changed(await pool.query(SQL.deleteProfile([tenant, id])));
    },
    countDevicesWithProfile: (tenant, id) => count(SQL.countWithProfile([tenant, id])),

    async insertGroup(tenant, g) {
      const values = [tenant, g.id, g.name, g.description, g.createdAt, g.updatedAt];
      await pool.query(SQL.insertGroup(values)).catch((err) => rethrowPgConflict(err, `group ${g.id}`));
    },
    async getGroup(tenant, id) {
      const r = (await pool.query<NamedRow>(SQL.getGroup([tenant, id]))).rows[0];
      return r && toGroup(r);
    },
    async listGroups(tenant, q) {
      const { rows } = await pool.query<NamedRow>(SQL.listGroups([tenant, q.after ?? '', q.limit + 1]));
      return toPage(rows.map(toGroup), q.limit, (g) => g.id);
    },
    async updateGroup(tenant, g) {
      await pool.query(SQL.updateGroup([tenant, g.id, g.name, g.description, g.updatedAt]));
    },
    async deleteGroup(tenant, id) {
      return changed(await pool.query(SQL.deleteGroup([tenant, id])));
    },
    async missingGroups(tenant, ids) {
      if (ids.length === 0) return [];
      const { rows } = await pool.query<{ g: string }>(SQL.missingGroups([tenant, [...new Set(ids)]]));
      return rows.map((r) => r.g);
    },

    async insertDevice(tenant, d, c) {
      const [, , ...cred] = credentialValues(tenant, d.id, c);
      const values = [...deviceValues(tenant, d), d.createdAt, d.updatedAt, [...new Set(d.groups)], ...cred];
      await pool.query(SQL.insertDevice(values)).catch((err) => rethrowPgConflict(err, `device ${d.id}`));
    },
    async getDevice(tenant, id) {
      const r = (await pool.query<DeviceWithGroups>(SQL.getDevice([tenant, id]))).rows[0];
      return r && device(r);
    },
    async listDevices(tenant, f, q) {
      const args: unknown[] = [tenant, q.after ?? ''];
      const where = ['d.tenant = $1', 'd.id > $2'];
      const add = (cond: (p: string) => string, value: unknown) => {
        args.push(value);
        where.push(cond(`$${args.length}`));
      };
      if (f.profile !== undefined) add((p) => `d.profile = ${p}`, f.profile);
      if (f.status !== undefined) add((p) => `d.status = ${p}`, f.status);
      if (f.group !== undefined) {
        add(
          (p) =>
            `EXISTS (SELECT 1 FROM group_members m WHERE m.tenant = d.tenant AND m.device_id = d.id AND m.group_id = ${p})`,
          f.group,
        );
      }
      // Label values are strings, so containment is "every label equals".
      if (f.labels && Object.keys(f.labels).length > 0) {
        add((p) => `d.labels::jsonb @> ${p}::jsonb`, JSON.stringify(f.labels));
      }
      // Both sides folded in JS (rows/registry.ts); LIKE rather than strpos
      // so a trigram index on `search` could serve it.
      if (f.search) add((p) => `d.search LIKE ${p}`, `%${likeEscape(fold(f.search))}%`);
      args.push(q.limit + 1);
      const text = `${DEVICE_SELECT} WHERE ${where.join(' AND ')} ORDER BY d.id LIMIT $${args.length}`;
      const { rows } = await pool.query<DeviceWithGroups>(text, args);
      return toPage(rows.map(device), q.limit, (d) => d.id);
    },
    countDevices: (tenant) => count(SQL.countDevices([tenant])),
    async countDevicesByStatus(tenant) {
      const counts: Record<DeviceStatus, number> = { online: 0, offline: 0, unknown: 0 };
      const { rows } = await pool.query<{ status: DeviceStatus; n: number }>(SQL.countByStatus([tenant]));
      for (const r of rows) counts[r.status] = r.n;
      return counts;
    },
    async updateDevice(tenant, d) {
      await pool.query(SQL.updateDevice([...deviceValues(tenant, d), d.updatedAt, [...new Set(d.groups)]]));
    },
    async deleteDevice(tenant, id) {
      return changed(await pool.query(SQL.deleteDevice([tenant, id])));
    },
    setDeviceStatus(tenant, id, status, lastSeen) {
      return statusWriter.set(tenant, id, status, lastSeen);
    },
    /** Writes the status changes still pending (before the pool closes). */
    flush: () => statusWriter.flush(),

    async insertCredential(tenant, device, c) {
      await pool
        .query(SQL.insertCredential(credentialValues(tenant, device, c)))
        .catch((err) => rethrowPgConflict(err, `credential ${c.id}`));
    },
    async listCredentials(tenant, device) {
      const { rows } = await pool.query<CredentialRow>(SQL.listCredentials([tenant, device]));
      return rows.map(toCredential);
    },
    async deleteCredential(tenant, device, id) {
      return changed(await pool.query(SQL.deleteCredential([tenant, device, id])));
    },
    async deleteOtherCredentials(tenant, device, keep) {
      const { rows } = await pool.query<{ id: string }>(SQL.deleteOtherCredentials([tenant, device, keep]));
      return rows.map((r) => r.id);
    },
    async touchCredential(tenant, device, id, at) {
      await pool.query(SQL.touchCredential([tenant, device, id, at]));
    },
  };
}
