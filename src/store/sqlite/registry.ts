import type { Device, DeviceStatus, Profile, StoredCredential, Tenant } from '../../registry/model.js';
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
import { rethrowConflict, type SqliteDb, statementCache } from './database.js';
import { StatusWriter } from './status-writer.js';

type ProfileRow = NamedRow & { spec: string };
// Groups arrive as a JSON array (json_group_array).
type DeviceWithGroups = DeviceRow & { groups: string | null };
const device = (r: DeviceWithGroups) => toDevice(r, r.groups ? (JSON.parse(r.groups) as string[]) : []);

const DEVICE_SELECT = `SELECT d.*, (SELECT json_group_array(m.group_id) FROM group_members m INDEXED BY group_members_device
  WHERE m.tenant = d.tenant AND m.device_id = d.id) AS groups FROM devices d`;

export function createSqliteRegistryStore(db: SqliteDb): RegistryStore & { flush(): void } {
  const prepare = statementCache(db);
  const statusWriter = new StatusWriter(db, prepare);
  const setGroups = (tenant: string, device: string, groups: readonly string[]) => {
    prepare('DELETE FROM group_members WHERE tenant = ? AND device_id = ?').run(tenant, device);
    const ins = prepare('INSERT INTO group_members (tenant, group_id, device_id) VALUES (?, ?, ?)');
    for (const g of new Set(groups)) ins.run(tenant, g, device);
  };
  const insertCredential = (tenant: string, device: string, c: StoredCredential) =>
    prepare(
      'INSERT INTO credentials (tenant, device, id, kind, secret_hash, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(...credentialValues(tenant, device, c));

  const insertProfile = (tenant: string, p: Profile) =>
    prepare(
      'INSERT INTO profiles (tenant, id, name, description, spec, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(...profileValues(tenant, p));
  const insertTenantTx = db.transaction((t: Tenant, p: Profile) => {
    prepare('INSERT INTO tenants (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)').run(
      t.id,
      t.name,
      t.createdAt,
      t.updatedAt,
    );
    insertProfile(t.id, p);
  });
  const insertDeviceTx = db.transaction((tenant: string, d: Device, c: StoredCredential) => {
    prepare(
      `INSERT INTO devices (tenant, id, name, profile, labels, enabled, status, last_seen, firmware, search, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(...deviceValues(tenant, d), d.createdAt, d.updatedAt);
    setGroups(tenant, d.id, d.groups);
    insertCredential(tenant, d.id, c);
  });
  const updateDeviceTx = db.transaction((tenant: string, d: Device) => {
    // The SET takes deviceValues past tenant and id (name … search), then updated_at.
    prepare(
      `UPDATE devices SET name = ?, profile = ?, labels = ?, enabled = ?, status = ?, last_seen = ?, firmware = ?, search = ?,
       updated_at = ? WHERE tenant = ? AND id = ?`,
    ).run(...deviceValues(tenant, d).slice(2), d.updatedAt, tenant, d.id);
    setGroups(tenant, d.id, d.groups);
  });

  return {
    async insertTenant(t, defaultProfile) {
      try {
        insertTenantTx(t, defaultProfile);
      } catch (err) {
        rethrowConflict(err, `tenant ${t.id}`);
      }
    },
    async getTenant(id) {
      const r = prepare('SELECT * FROM tenants WHERE id = ?').get(id) as TenantRow | undefined;
      return r && toTenant(r);
    },
    async listTenants(q) {
      const rows = prepare('SELECT * FROM tenants WHERE id > ? ORDER BY id LIMIT ?').all(
        q.after ?? '',
        q.limit + 1,
      ) as TenantRow[];
      return toPage(rows.map(toTenant), q.limit, (t) => t.id);
    },
    async updateTenant(t) {
      prepare('UPDATE tenants SET name = ?, updated_at = ? WHERE id = ?').run(t.name, t.updatedAt, t.id);
    },
    async deleteTenant(id) {
      // Membership and credential rows cascade from devices; users, keys,
      // profiles and groups from the tenant row. The audit context drops its
      // rows on the `tenant-deleted` event.
      return db.transaction(() => {
        prepare('DELETE FROM devices WHERE tenant = ?').run(id);
        return prepare('DELETE FROM tenants WHERE id = ?').run(id).changes > 0;
      })();
    },

    async insertProfile(tenant, p) {
      try {
        insertProfile(tenant, p);
      } catch (err) {
        rethrowConflict(err, `profile ${p.id}`);
      }
    },
    async getProfile(tenant, id) {
      const r = prepare('SELECT * FROM profiles WHERE tenant = ? AND id = ?').get(tenant, id) as
        | ProfileRow
        | undefined;
      return r && toProfile(r);
    },
    async listProfiles(tenant, q) {
      const rows = prepare('SELECT * FROM profiles WHERE tenant = ? AND id > ? ORDER BY id LIMIT ?').all(
        tenant,
        q.after ?? '',
        q.limit + 1,
      ) as ProfileRow[];
      return toPage(rows.map(toProfile), q.limit, (p) => p.id);
    },
    async updateProfile(tenant, p) {
      prepare(
        'UPDATE profiles SET name = ?, description = ?, spec = ?, updated_at = ? WHERE tenant = ? AND id = ?',
      ).run(p.name, p.description, profileSpec(p), p.updatedAt, tenant, p.id);
    },
    async deleteProfile(tenant, id) {
      return prepare('DELETE FROM profiles WHERE tenant = ? AND id = ?').run(tenant, id).changes > 0;
    },
    async countDevicesWithProfile(tenant, id) {
      return (
        prepare('SELECT count(*) AS n FROM devices WHERE tenant = ? AND profile = ?').get(tenant, id) as {
          n: number;
        }
      ).n;
    },

    async insertGroup(tenant, g) {
      try {
        prepare(
          'INSERT INTO device_groups (tenant, id, name, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
        ).run(tenant, g.id, g.name, g.description, g.createdAt, g.updatedAt);
      } catch (err) {
        rethrowConflict(err, `group ${g.id}`);
      }
    },
    async getGroup(tenant, id) {
      const r = prepare('SELECT * FROM device_groups WHERE tenant = ? AND id = ?').get(tenant, id) as
        | NamedRow
        | undefined;
      return r && toGroup(r);
    },
    async listGroups(tenant, q) {
      const rows = prepare('SELECT * FROM device_groups WHERE tenant = ? AND id > ? ORDER BY id LIMIT ?').all(
        tenant,
        q.after ?? '',
        q.limit + 1,
      ) as NamedRow[];
      return toPage(rows.map(toGroup), q.limit, (g) => g.id);
    },
    async updateGroup(tenant, g) {
      prepare(
        'UPDATE device_groups SET name = ?, description = ?, updated_at = ? WHERE tenant = ? AND id = ?',
      ).run(g.name, g.description, g.updatedAt, tenant, g.id);
    },
    async deleteGroup(tenant, id) {
      return prepare('DELETE FROM device_groups WHERE tenant = ? AND id = ?').run(tenant, id).changes > 0;
    },
    async missingGroups(tenant, ids) {
      const stmt = prepare('SELECT 1 FROM device_groups WHERE tenant = ? AND id = ?');
      return [...new Set(ids)].filter((id) => !stmt.get(tenant, id));
    },

    async insertDevice(tenant, d, credential) {
      try {
        insertDeviceTx(tenant, d, credential);
      } catch (err) {
        rethrowConflict(err, `device ${d.id}`);
      }
    },
    async getDevice(tenant, id) {
      const r = prepare(`${DEVICE_SELECT} WHERE d.tenant = ? AND d.id = ?`).get(tenant, id) as
        | DeviceWithGroups
        | undefined;
      return r && device(r);
    },
    async listDevices(tenant, f, q) {
      const where = ['d.tenant = ?', 'd.id > ?'];
      const args: unknown[] = [tenant, q.after ?? ''];
      if (f.profile !== undefined) {
        where.push('d.profile = ?');
        args.push(f.profile);
      }
      if (f.status !== undefined) {
        where.push('d.status = ?');
        args.push(f.status);
      }
      if (f.group !== undefined) {
        where.push(
          'EXISTS (SELECT 1 FROM group_members m WHERE m.tenant = d.tenant AND m.device_id = d.id AND m.group_id = ?)',
        );
        args.push(f.group);
      }
      for (const [k, v] of Object.entries(f.labels ?? {})) {
        // Label keys are validated against LABEL_KEY_PATTERN (no quotes), so
        // quoting them in the JSON path is safe.
        where.push(`json_extract(d.labels, '$."' || ? || '"') = ?`);
        args.push(k, v);
      }
      if (f.search) {
        where.push('instr(d.search, ?) > 0');
        args.push(fold(f.search));
      }
      args.push(q.limit + 1);
      const rows = prepare(`${DEVICE_SELECT} WHERE ${where.join(' AND ')} ORDER BY d.id LIMIT ?`).all(
        ...args,
      ) as DeviceWithGroups[];
      return toPage(rows.map(device), q.limit, (d) => d.id);
    },
    async countDevices(tenant) {
      return (prepare('SELECT count(*) AS n FROM devices WHERE tenant = ?').get(tenant) as { n: number }).n;
    },
    async countDevicesByStatus(tenant) {
      const counts: Record<DeviceStatus, number> = { online: 0, offline: 0, unknown: 0 };
      const rows = prepare('SELECT status, count(*) AS n FROM devices WHERE tenant = ? GROUP BY status').all(
        tenant,
      ) as { status: DeviceStatus; n: number }[];
      for (const r of rows) counts[r.status] = r.n;
      return counts;
    },
    async updateDevice(tenant, d) {
      updateDeviceTx(tenant, d);
    },
    setDeviceStatus(tenant, id, status, lastSeen) {
      return statusWriter.set(tenant, id, status, lastSeen);
    },
    flush() {
      statusWriter.flush();
    },
    async deleteDevice(tenant, id) {
      return prepare('DELETE FROM devices WHERE tenant = ? AND id = ?').run(tenant, id).changes > 0;
    },

    async insertCredential(tenant, device, c) {
      try {
        insertCredential(tenant, device, c);
      } catch (err) {
        rethrowConflict(err, `credential ${c.id}`);
      }
    },
    async listCredentials(tenant, device) {
      const rows = prepare(
        'SELECT * FROM credentials WHERE tenant = ? AND device = ? ORDER BY created_at, id',
      ).all(tenant, device) as CredentialRow[];
      return rows.map(toCredential);
    },
    async deleteCredential(tenant, device, id) {
      return (
        prepare('DELETE FROM credentials WHERE tenant = ? AND device = ? AND id = ?').run(tenant, device, id)
          .changes > 0
      );
    },
    async deleteOtherCredentials(tenant, device, keep) {
      const rows = prepare(
        'DELETE FROM credentials WHERE tenant = ? AND device = ? AND id <> ? RETURNING id',
      ).all(tenant, device, keep) as { id: string }[];
      return rows.map((r) => r.id);
    },
    async touchCredential(tenant, device, id, at) {
      prepare('UPDATE credentials SET last_used_at = ? WHERE tenant = ? AND device = ? AND id = ?').run(
        at,
        tenant,
        device,
        id,
      );
    },
  };
}
