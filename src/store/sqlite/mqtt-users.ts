import type { MqttUserStore } from '../mqtt-users.js';
import { toPage } from '../page.js';
import { type MqttUserRow, mqttUserValues, publicMqttUser, toMqttUser } from '../rows/mqtt-users.js';
import { rethrowConflict, type SqliteDb, statementCache } from './database.js';

export function createSqliteMqttUserStore(db: SqliteDb): MqttUserStore {
  const prepare = statementCache(db);
  return {
    async insert(u) {
      try {
        prepare(
          `INSERT INTO mqtt_users (tenant, username, rules, sys, secret_hash, created_by, created_at, updated_at, last_login_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(...mqttUserValues(u));
      } catch (err) {
        rethrowConflict(err, `MQTT user ${u.username}`);
      }
    },
    async get(tenant, username) {
      const r = prepare('SELECT * FROM mqtt_users WHERE tenant = ? AND username = ?').get(tenant, username) as
        | MqttUserRow
        | undefined;
      return r && toMqttUser(r);
    },
    async list(tenant, q) {
      const rows = prepare(
        'SELECT * FROM mqtt_users WHERE tenant = ? AND username > ? ORDER BY username LIMIT ?',
      ).all(tenant, q.after ?? '', q.limit + 1) as MqttUserRow[];
      return toPage(
        rows.map((r) => publicMqttUser(toMqttUser(r))),
        q.limit,
        (u) => u.username,
      );
    },
    async update(u) {
      return (
        prepare(
          'UPDATE mqtt_users SET rules = ?, sys = ?, secret_hash = ?, updated_at = ? WHERE tenant = ? AND username = ?',
        ).run(JSON.stringify(u.rules), u.sys, u.secretHash, u.updatedAt, u.tenant, u.username).changes > 0
      );
    },
    async delete(tenant, username) {
      return (
        prepare('DELETE FROM mqtt_users WHERE tenant = ? AND username = ?').run(tenant, username).changes > 0
      );
    },
    async touchLogin(tenant, username, at) {
      prepare('UPDATE mqtt_users SET last_login_at = ? WHERE tenant = ? AND username = ?').run(
        at,
        tenant,
        username,
      );
    },
  };
}
