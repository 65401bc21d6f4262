import type { AuthStore } from '../auth.js';
import { toPage } from '../page.js';
import {
  type KeyRow,
  publicKey,
  type SessionRow,
  toKey,
  toSession,
  toUser,
  type UserRow,
} from '../rows/auth.js';
import { type PgPool, rethrowPgConflict } from './database.js';
import { statement } from './statement.js';

const SQL = {
  insertUser: statement(`INSERT INTO users
    (username, tenant, role, platform_admin, password_hash, created_at, updated_at, last_login_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`),
  getUser: statement('SELECT * FROM users WHERE username = $1'),
  listAllUsers: statement('SELECT * FROM users WHERE username > $1 ORDER BY username LIMIT $2'),
  listUsers: statement('SELECT * FROM users WHERE tenant = $1 AND username > $2 ORDER BY username LIMIT $3'),
  updateUser: statement(`UPDATE users SET role = $2, platform_admin = $3, password_hash = $4, updated_at = $5,
    last_login_at = $6 WHERE username = $1`),
  deleteUser: statement('DELETE FROM users WHERE username = $1'),
  countPlatformAdmins: statement('SELECT count(*) AS n FROM users WHERE platform_admin = 1'),
  insertSession: statement(
    'INSERT INTO sessions (token_hash, username, created_at, expires_at) VALUES ($1, $2, $3, $4)',
  ),
  getSession: statement('SELECT * FROM sessions WHERE token_hash = $1'),
  deleteSession: statement('DELETE FROM sessions WHERE token_hash = $1'),
  deleteSessionsOf: statement('DELETE FROM sessions WHERE username = $1'),
  deleteExpiredSessions: statement('DELETE FROM sessions WHERE expires_at <= $1'),
  insertApiKey: statement(`INSERT INTO api_keys
    (id, tenant, name, role, key_hash, created_by, created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`),
  getApiKeyByHash: statement('SELECT * FROM api_keys WHERE key_hash = $1'),
  getApiKey: statement('SELECT * FROM api_keys WHERE tenant = $1 AND id = $2'),
  listApiKeys: statement('SELECT * FROM api_keys WHERE tenant = $1 AND id > $2 ORDER BY id LIMIT $3'),
  deleteApiKey: statement('DELETE FROM api_keys WHERE tenant = $1 AND id = $2'),
  touchApiKey: statement('UPDATE api_keys SET last_used_at = $2 WHERE id = $1'),
};

/** Operators, their sessions and API keys on PostgreSQL (the same semantics as SQLite's). */
export function createPgAuthStore(pool: PgPool): AuthStore {
  const changed = (r: { rowCount: number | null }) => (r.rowCount ?? 0) > 0;
  return {
    async insertUser(u) {
      const values = [
        u.username,
        u.tenant,
        u.role,
        u.platformAdmin ? 1 : 0,
        u.passwordHash,
        u.createdAt,
        u.updatedAt,
        u.lastLoginAt,
      ];
      await pool.query(SQL.insertUser(values)).catch((err) => rethrowPgConflict(err, `user ${u.username}`));
    },
    async getUser(username) {
      const r = (await pool.query<UserRow>(SQL.getUser([username]))).rows[0];
      return r && toUser(r);
    },
    async listUsers(tenant, q) {
      const after = q.after ?? '';
      const { rows } = await pool.query<UserRow>(
        tenant === undefined
          ? SQL.listAllUsers([after, q.limit + 1])
          : SQL.listUsers([tenant, after, q.limit + 1]),
      );
      return toPage(rows.map(toUser), q.limit, (u) => u.username);
    },
    async updateUser(u) {
      const values = [
        u.username,
        u.role,
        u.platformAdmin ? 1 : 0,
        u.passwordHash,
        u.updatedAt,
        u.lastLoginAt,
      ];
      await pool.query(SQL.updateUser(values));
    },
    async deleteUser(username) {
      return changed(await pool.query(SQL.deleteUser([username])));
    },
    async countPlatformAdmins() {
      return (await pool.query<{ n: number }>(SQL.countPlatformAdmins())).rows[0]?.n ?? 0;
    },

    async insertSession(s) {
      await pool.query(SQL.insertSession([s.tokenHash, s.username, s.createdAt, s.expiresAt]));
    },
    async getSession(tokenHash) {
      const r = (await pool.query<SessionRow>(SQL.getSession([tokenHash]))).rows[0];
      return r && toSession(r);
    },
    async deleteSession(tokenHash) {
      await pool.query(SQL.deleteSession([tokenHash]));
    },
    async deleteSessionsOf(username) {
      await pool.query(SQL.deleteSessionsOf([username]));
    },
    async deleteExpiredSessions(now) {
      return (await pool.query(SQL.deleteExpiredSessions([now]))).rowCount ?? 0;
    },

    async insertApiKey(k) {
      const values = [k.id, k.tenant, k.name, k.role, k.keyHash, k.createdBy, k.createdAt, k.lastUsedAt];
      await pool.query(SQL.insertApiKey(values)).catch((err) => rethrowPgConflict(err, `API key ${k.id}`));
    },
    async getApiKeyByHash(keyHash) {
      const r = (await pool.query<KeyRow>(SQL.getApiKeyByHash([keyHash]))).rows[0];
      return r && toKey(r);
    },
    async getApiKey(tenant, id) {
      const r = (await pool.query<KeyRow>(SQL.getApiKey([tenant, id]))).rows[0];
      return r && publicKey(toKey(r));
    },
    async listApiKeys(tenant, q) {
      const { rows } = await pool.query<KeyRow>(SQL.listApiKeys([tenant, q.after ?? '', q.limit + 1]));
      return toPage(
        rows.map((r) => publicKey(toKey(r))),
        q.limit,
        (k) => k.id,
      );
    },
    async deleteApiKey(tenant, id) {
      return changed(await pool.query(SQL.deleteApiKey([tenant, id])));
    },
    async touchApiKey(id, at) {
      await pool.query(SQL.touchApiKey([id, at]));
    },
  };
}
