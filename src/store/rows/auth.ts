import type { ApiKey, Role, Session, StoredApiKey, StoredUser } from '../../auth/model.js';

/** Auth rows ↔ model, shared by the SQLite and PostgreSQL stores (same columns). */
export interface UserRow {
  username: string;
  tenant: string;
  role: string;
  platform_admin: number;
  password_hash: string;
  created_at: string;
  updated_at: string;
  last_login_at: string | null;
}

export interface KeyRow {
  id: string;
  tenant: string;
  name: string;
  role: string;
  key_hash: Buffer;
  created_by: string;
  created_at: string;
  last_used_at: string | null;
}

export interface SessionRow {
  token_hash: Buffer;
  username: string;
  created_at: string;
  expires_at: number;
}

export const toUser = (r: UserRow): StoredUser => ({
  username: r.username,
  tenant: r.tenant,
  role: r.role as Role,
  platformAdmin: r.platform_admin === 1,
  passwordHash: r.password_hash,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  lastLoginAt: r.last_login_at,
});

export const toKey = (r: KeyRow): StoredApiKey => ({
  id: r.id,
  tenant: r.tenant,
  name: r.name,
  role: r.role as Role,
  keyHash: r.key_hash,
  createdBy: r.created_by,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
});

export const toSession = (r: SessionRow): Session => ({
  tokenHash: r.token_hash,
  username: r.username,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

/** The key as the API shows it: without its hash. */
export function publicKey(k: StoredApiKey): ApiKey {
  const { keyHash: _hash, ...rest } = k;
  return rest;
}
