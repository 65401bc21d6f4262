import type { MqttUser, StoredMqttUser, SysScope } from '../../auth/mqtt-user-model.js';
import type { AclRule } from '../../core/topic-acl.js';

/** mqtt_users rows ↔ model, shared by the SQLite and PostgreSQL stores (same columns). */
export interface MqttUserRow {
  tenant: string;
  username: string;
  /** JSON array of {permission, action, topic}, in order. */
  rules: string;
  sys: string;
  secret_hash: Buffer;
  created_by: string;
  created_at: string;
  updated_at: string;
  last_login_at: string | null;
}

export const toMqttUser = (r: MqttUserRow): StoredMqttUser => ({
  tenant: r.tenant,
  username: r.username,
  rules: JSON.parse(r.rules) as AclRule[],
  sys: r.sys as SysScope,
  secretHash: r.secret_hash,
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  lastLoginAt: r.last_login_at,
});

/** The user as the API shows it: without its hash. */
export function publicMqttUser(u: StoredMqttUser): MqttUser {
  const { secretHash: _hash, ...rest } = u;
  return rest;
}

/** Insert values in column order (tenant, username, rules, sys, secret_hash, created_by, created_at, updated_at, last_login_at). */
export const mqttUserValues = (u: StoredMqttUser): unknown[] => [
  u.tenant,
  u.username,
  JSON.stringify(u.rules),
  u.sys,
  u.secretHash,
  u.createdBy,
  u.createdAt,
  u.updatedAt,
  u.lastLoginAt,
];
