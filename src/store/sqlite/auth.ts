import type { Session } from '../../auth/model.js';
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
import { rethrowConflict, type SqliteDb, statementCache } from './database.js';

export function createSqliteAuthStore(db: SqliteDb): AuthStore {
  const prepare = statementCache(db);
  return {
    async insertUser(u) {
      try {
        prepare(
          `INSERT INTO users (username, tenant, role, platform_admin, password_hash, created_at, updated_at, last_login_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          u.username,
          u.tenant,
          u.role,
          u.platformAdmin ? 1 : 0,
          u.passwordHash,
          u.createdAt,
          u.updatedAt,
          u.lastLoginAt,
        );
      } catch (err) {
        rethrowConflict(err, `user ${u.username}`);
      }
    },
    async getUser(username) {
      const r = prepare('SELECT * FROM users WHERE username = ?').get(username) as UserRow | undefined;
      return r && toUser(r);
    },
    async listUsers(tenant, q) {
      const rows = (
        tenant === undefined
          ? prepare('SELECT * FROM users WHERE username > ? ORDER BY username LIMIT ?').all(
              q.after ?? '',
              q.limit + 1,
            )
          : prepare('SELECT * FROM users WHERE tenant = ? AND username > ? ORDER BY username LIMIT ?').all(
              tenant,
              q.after ?? '',
              q.limit + 1,
            )
      ) as UserRow[];
      return toPage(rows.map(toUser), q.limit, (u) => u.username);
    },
    async updateUser(u) {
      prepare(
        'UPDATE users SET role = ?, platform_admin = ?, password_hash = ?, updated_at = ?, last_login_at = ? WHERE username = ?',
      ).run(u.role, u.platformAdmin ? 1 : 0, u.passwordHash, u.updatedAt, u.lastLoginAt, u.username);
    },
    async deleteUser(username) {
      return prepare('DELETE FROM users WHERE username = ?').run(username).changes > 0;
    },
    async countPlatformAdmins() {
      return (prepare('SELECT count(*) AS n FROM users WHERE platform_admin = 1').get() as { n: number }).n;
    },

    async insertSession(s: Session) {
      prepare('INSERT INTO sessions (token_hash, username, created_at, expires_at) VALUES (?, ?, ?, ?)').run(
        s.tokenHash,
        s.username,
        s.createdAt,
        s.expiresAt,
      );
    },
    async getSession(tokenHash) {
      const r = prepare('SELECT * FROM sessions WHERE token_hash = ?').get(tokenHash) as
        | SessionRow
        | undefined;
      return r && toSession(r);
    },
    async deleteSession(tokenHash) {
      prepare('DELETE FROM sessions WHERE token_hash = ?').run(tokenHash);
    },
    async deleteSessionsOf(username) {
      prepare('DELETE FROM sessions WHERE username = ?').run(username);
    },
    async deleteExpiredSessions(now) {
      return prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now).changes;
    },

    async insertApiKey(k) {
      try {
        prepare(
          `INSERT INTO api_keys (id, tenant, name, role, key_hash, created_by, created_at, last_used_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(k.id, k.tenant, k.name, k.role, k.keyHash, k.createdBy, k.createdAt, k.lastUsedAt);
      } catch (err) {
        rethrowConflict(err, `API key ${k.id}`);
      }
    },
    async getApiKeyByHash(keyHash) {
      const r = prepare('SELECT * FROM api_keys WHERE key_hash = ?').get(keyHash) as KeyRow | undefined;
      return r && toKey(r);
    },
    async getApiKey(tenant, id) {
      const r = prepare('SELECT * FROM api_keys WHERE tenant = ? AND id = ?').get(tenant, id) as
        | KeyRow
        | undefined;
      return r && publicKey(toKey(r));
    },
    async listApiKeys(tenant, q) {
      const rows = prepare('SELECT * FROM api_keys WHERE tenant = ? AND id > ? ORDER BY id LIMIT ?').all(
        tenant,
        q.after ?? '',
        q.limit + 1,
      ) as KeyRow[];
      return toPage(
        rows.map((r) => publicKey(toKey(r))),
        q.limit,
        (k) => k.id,
      );
    },
    async deleteApiKey(tenant, id) {
      return prepare('DELETE FROM api_keys WHERE tenant = ? AND id = ?').run(tenant, id).changes > 0;
    },
    async touchApiKey(id, at) {
      prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?').run(at, id);
    },
  };
}
