import {
  DEFAULT_PROFILE_SPEC,
  type Device,
  type DeviceStatus,
  type Group,
  type Profile,
  type ProfileSpec,
  type StoredCredential,
  type Tenant,
} from '../../registry/model.js';

/**
 * Registry rows ↔ model, shared by the SQLite and PostgreSQL stores: both
 * have the same columns (flags as 0/1, JSON documents as text).
 */
export interface TenantRow {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

export interface NamedRow extends TenantRow {
  description: string;
}

export interface DeviceRow {
  id: string;
  name: string;
  profile: string;
  labels: string;
  enabled: number;
  status: string;
  last_seen: string | null;
  firmware: string | null;
  created_at: string;
  updated_at: string;
}

export interface CredentialRow {
  id: string;
  kind: string;
  secret_hash: Buffer;
  created_at: string;
  last_used_at: string | null;
}

export const toTenant = (r: TenantRow): Tenant => ({
  id: r.id,
  name: r.name,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const toProfile = (r: NamedRow & { spec: string }): Profile => ({
  id: r.id,
  name: r.name,
  description: r.description,
  // Specs stored before a field existed get its default.
  ...DEFAULT_PROFILE_SPEC,
  ...(JSON.parse(r.spec) as Partial<ProfileSpec>),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const toGroup = (r: NamedRow): Group => ({
  id: r.id,
  name: r.name,
  description: r.description,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** `groups` in any order: the model lists them sorted. */
export const toDevice = (r: DeviceRow, groups: string[]): Device => ({
  id: r.id,
  name: r.name,
  profile: r.profile,
  groups: groups.sort(),
  labels: JSON.parse(r.labels) as Record<string, string>,
  enabled: r.enabled === 1,
  status: r.status as DeviceStatus,
  lastSeen: r.last_seen,
  firmware: r.firmware,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const toCredential = (r: CredentialRow): StoredCredential => ({
  id: r.id,
  kind: 'secret',
  secretHash: r.secret_hash,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
});

/** The profile's spec column: every field but identity and times. */
export function profileSpec(p: Profile): string {
  const spec: ProfileSpec = {
    codec: p.codec,
    telemetry: p.telemetry,
    inactivityTimeout: p.inactivityTimeout,
    retentionDays: p.retentionDays,
    rollupRetentionDays: p.rollupRetentionDays,
    grants: p.grants,
    limits: p.limits,
  };
  return JSON.stringify(spec);
}

/**
 * The folding of the `search` column and of search terms. Done in JS, not
 * by the database: SQLite's lower() folds ASCII only, PostgreSQL's depends
 * on the database's locale (none beyond ASCII under "C"), and an export
 * copies the column between them, so both must hold the same text.
 */
export const fold = (s: string) => s.normalize('NFKC').toLowerCase();
export const searchText = (d: Device) => fold(`${d.id}\n${d.name}`);

/** The columns of `profiles`, in table order. */
export const profileValues = (tenant: string, p: Profile) => [
  tenant,
  p.id,
  p.name,
  p.description,
  profileSpec(p),
  p.createdAt,
  p.updatedAt,
];
/** The columns of `credentials`, in table order. */
export const credentialValues = (tenant: string, device: string, c: StoredCredential) => [
  tenant,
  device,
  c.id,
  c.kind,
  c.secretHash,
  c.createdAt,
  c.lastUsedAt,
];
/** The columns of `devices` up to `search`, in table order (the times follow). */
export const deviceValues = (tenant: string, d: Device) => [
  tenant,
  d.id,
  d.name,
  d.profile,
  JSON.stringify(d.labels),
  d.enabled ? 1 : 0,
  d.status,
  d.lastSeen,
  d.firmware,
  searchText(d),
];
