import type { MqttUserStore } from '../mqtt-users.js';
import { toPage } from '../page.js';
import { type MqttUserRow, mqttUserValues, publicMqttUser, toMqttUser } from '../rows/mqtt-users.js';
import { type PgPool, rethrowPgConflict } from './database.js';
import { statement } from './statement.js';

const SQL = {
  insert: statement(`INSERT INTO mqtt_users
    (tenant, username, rules, sys, secret_hash, created_by, created_at, updated_at, last_login_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`),
  get: statement('SELECT * FROM mqtt_users WHERE tenant = $1 AND username = $2'),
  list: statement('SELECT * FROM mqtt_users WHERE tenant = $1 AND username > $2 ORDER BY username LIMIT $3'),
  update: statement(`UPDATE mqtt_users SET rules = $3, sys = $4, secret_hash = $5, updated_at = $6
    WHERE tenant = $1 AND username = $2`),
  delete: statement('DELETE FROM mqtt_users WHERE tenant = $1 AND username = $2'),
  touchLogin: statement('UPDATE mqtt_users SET last_login_at = $3 WHERE tenant = $1 AND username = $2'),
};

/** MQTT users on PostgreSQL (the same semantics as SQLite's). */
export function createPgMqttUserStore(pool: PgPool): MqttUserStore {
  const changed = (r: { rowCount: number | null }) => (r.rowCount ?? 0) > 0;
  return {
    async insert(u) {
      await pool
        .query(SQL.insert(mqttUserValues(u)))
        .catch((err) => rethrowPgConflict(err, `MQTT user ${u.username}`));
    },
    async get(tenant, username) {
      const r = (await pool.query<MqttUserRow>(SQL.get([tenant, username]))).rows[0];
      return r && toMqttUser(r);
    },
    async list(tenant, q) {
      const { rows } = await pool.query<MqttUserRow>(SQL.list([tenant, q.after ?? '', q.limit + 1]));
      return toPage(
        rows.map((r) => publicMqttUser(toMqttUser(r))),
        q.limit,
        (u) => u.username,
      );
    },
    async update(u) {
      const values = [u.tenant, u.username, JSON.stringify(u.rules), u.sys, u.secretHash, u.updatedAt];
      return changed(await pool.query(SQL.update(values)));
    },
    async delete(tenant, username) {
      return changed(await pool.query(SQL.delete([tenant, username])));
    },
    async touchLogin(tenant, username, at) {
      await pool.query(SQL.touchLogin([tenant, username, at]));
    },
  };
}
