import type { MqttQueuedRecord, MqttSessionRecord, MqttStore } from '../mqtt.js';
import {
  type MessageRow,
  messageColumns,
  type RetainedRow,
  retainedColumns,
  type SessionRow,
  sessionColumns,
  toQueued,
  toRetained,
  toSession,
} from '../rows/mqtt.js';
import { type SqliteDb, statementCache } from './database.js';

export function createSqliteMqttStore(db: SqliteDb): MqttStore {
  const prepare = statementCache(db);
  const insertMessage = prepare(
    `INSERT INTO mqtt_messages (tenant, client_id, topic, payload, qos, retain, properties, received_at, publisher,
       out_qos, out_retain, subscription_ids, packet_id, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insert = (tenant: string, clientId: string, q: MqttQueuedRecord) =>
    insertMessage.run(tenant, clientId, ...messageColumns(q));
  const deleteMessages = prepare('DELETE FROM mqtt_messages WHERE tenant = ? AND client_id = ?');
  const upsertSession = prepare(
    `INSERT INTO mqtt_sessions (tenant, client_id, identity, expiry_interval, disconnected_at, subscriptions, will)
     VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, client_id) DO UPDATE SET identity = excluded.identity,
     expiry_interval = excluded.expiry_interval, disconnected_at = excluded.disconnected_at,
     subscriptions = excluded.subscriptions, will = excluded.will`,
  );
  const save = db.transaction((s: MqttSessionRecord, messages: readonly MqttQueuedRecord[]) => {
    upsertSession.run(...sessionColumns(s));
    deleteMessages.run(s.tenant, s.clientId);
    for (const m of messages) insert(s.tenant, s.clientId, m);
  });
  const append = db.transaction(
    (items: readonly { tenant: string; clientId: string; item: MqttQueuedRecord }[]) => {
      for (const i of items) insert(i.tenant, i.clientId, i.item);
    },
  );
  const remove = db.transaction((tenant: string, clientId: string) => {
    deleteMessages.run(tenant, clientId);
    prepare('DELETE FROM mqtt_sessions WHERE tenant = ? AND client_id = ?').run(tenant, clientId);
  });
  const upsertRetained = prepare(
    `INSERT INTO mqtt_retained (tenant, topic, payload, qos, properties, received_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (tenant, topic) DO UPDATE SET payload = excluded.payload, qos = excluded.qos,
     properties = excluded.properties, received_at = excluded.received_at`,
  );
  const deleteRetained = prepare('DELETE FROM mqtt_retained WHERE tenant = ? AND topic = ?');

  return {
    async loadSessions() {
      const sessions = prepare('SELECT * FROM mqtt_sessions').all() as SessionRow[];
      const rows = prepare('SELECT * FROM mqtt_messages ORDER BY seq').all() as MessageRow[];
      const byKey = new Map<string, MqttQueuedRecord[]>();
      for (const r of rows) {
        const k = `${r.tenant}\u0000${r.client_id}`;
        const list = byKey.get(k) ?? [];
        list.push(toQueued(r));
        byKey.set(k, list);
      }
      return sessions.map((s) => ({
        session: toSession(s),
        messages: byKey.get(`${s.tenant}\u0000${s.client_id}`) ?? [],
      }));
    },
    async saveSession(session, messages) {
      save(session, messages);
    },
    async appendMessages(items) {
      append(items);
    },
    async deleteSession(tenant, clientId) {
      remove(tenant, clientId);
    },
    async loadRetained() {
      return (prepare('SELECT * FROM mqtt_retained').all() as RetainedRow[]).map(toRetained);
    },
    async setRetained(tenant, topic, message) {
      if (!message) deleteRetained.run(tenant, topic);
      else upsertRetained.run(...retainedColumns(tenant, topic, message));
    },
  };
}
