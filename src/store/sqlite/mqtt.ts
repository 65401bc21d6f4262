import type { MqttMessageRecord, MqttQueuedRecord, MqttSessionRecord, MqttStore } from '../mqtt.js';
import { type SqliteDb, statementCache } from './database.js';

interface MessageRow {
  tenant: string;
  client_id: string;
  topic: string;
  payload: Buffer;
  qos: number;
  retain: number;
  properties: string;
  received_at: number;
  publisher: string | null;
  out_qos: number;
  out_retain: number;
  subscription_ids: string;
  packet_id: number | null;
  state: string | null;
}

// Buffers inside properties (correlation data) survive JSON as {"$b64": "..."}.
const encodeProps = (p: object) =>
  JSON.stringify(p, (_k, v: unknown) =>
    v &&
    typeof v === 'object' &&
    (v as { type?: string }).type === 'Buffer' &&
    Array.isArray((v as { data?: unknown }).data)
      ? { $b64: Buffer.from((v as { data: number[] }).data).toString('base64') }
      : v,
  );
const decodeProps = (s: string): Record<string, unknown> =>
  JSON.parse(s, (_k, v: unknown) =>
    v && typeof v === 'object' && typeof (v as { $b64?: unknown }).$b64 === 'string'
      ? Buffer.from((v as { $b64: string }).$b64, 'base64')
      : v,
  ) as Record<string, unknown>;

// Absent optional fields are left out rather than set to undefined.
const toQueued = (r: MessageRow): MqttQueuedRecord => ({
  message: {
    topic: r.topic,
    payload: r.payload,
    qos: r.qos as 0 | 1 | 2,
    retain: r.retain === 1,
    properties: decodeProps(r.properties),
    receivedAt: r.received_at,
    ...(r.publisher === null ? {} : { from: r.publisher }),
  },
  qos: r.out_qos as 0 | 1 | 2,
  retain: r.out_retain === 1,
  subscriptionIds: JSON.parse(r.subscription_ids) as number[],
  ...(r.packet_id === null ? {} : { packetId: r.packet_id }),
  ...(r.state === null ? {} : { state: r.state as 'publish' | 'pubrel' }),
});

const encodeWill = (w: MqttSessionRecord['will']) =>
  w === null
    ? null
    : JSON.stringify({
        delay: w.delay,
        message: {
          ...w.message,
          payload: w.message.payload.toString('base64'),
          properties: encodeProps(w.message.properties),
        },
      });

function decodeWill(s: string | null): MqttSessionRecord['will'] {
  if (s === null) return null;
  const w = JSON.parse(s) as {
    delay: number;
    message: Omit<MqttMessageRecord, 'payload' | 'properties'> & { payload: string; properties: string };
  };
  return {
    delay: w.delay,
    message: {
      ...w.message,
      payload: Buffer.from(w.message.payload, 'base64'),
      properties: decodeProps(w.message.properties),
    },
  };
}

export function createSqliteMqttStore(db: SqliteDb): MqttStore {
  const prepare = statementCache(db);
  const insertMessage = prepare(
    `INSERT INTO mqtt_messages (tenant, client_id, topic, payload, qos, retain, properties, received_at, publisher,
       out_qos, out_retain, subscription_ids, packet_id, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insert = (tenant: string, clientId: string, q: MqttQueuedRecord) => {
    const m = q.message;
    insertMessage.run(
      tenant,
      clientId,
      m.topic,
      m.payload,
      m.qos,
      m.retain ? 1 : 0,
      encodeProps(m.properties),
      m.receivedAt,
      m.from ?? null,
      q.qos,
      q.retain ? 1 : 0,
      JSON.stringify(q.subscriptionIds),
      q.packetId ?? null,
      q.state ?? null,
    );
  };
  const deleteMessages = prepare('DELETE FROM mqtt_messages WHERE tenant = ? AND client_id = ?');
  const upsertSession = prepare(
    `INSERT INTO mqtt_sessions (tenant, client_id, identity, expiry_interval, disconnected_at, subscriptions, will)
     VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, client_id) DO UPDATE SET identity = excluded.identity,
     expiry_interval = excluded.expiry_interval, disconnected_at = excluded.disconnected_at,
     subscriptions = excluded.subscriptions, will = excluded.will`,
  );
  const save = db.transaction((s: MqttSessionRecord, messages: readonly MqttQueuedRecord[]) => {
    upsertSession.run(
      s.tenant,
      s.clientId,
      JSON.stringify(s.identity),
      s.expiryInterval,
      s.disconnectedAt,
      JSON.stringify(s.subscriptions),
      encodeWill(s.will),
    );
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
      const sessions = prepare('SELECT * FROM mqtt_sessions').all() as {
        tenant: string;
        client_id: string;
        identity: string;
        expiry_interval: number;
        disconnected_at: number | null;
        subscriptions: string;
        will: string | null;
      }[];
      const rows = prepare('SELECT * FROM mqtt_messages ORDER BY seq').all() as MessageRow[];
      const byKey = new Map<string, MqttQueuedRecord[]>();
      for (const r of rows) {
        const k = `${r.tenant}\u0000${r.client_id}`;
        const list = byKey.get(k) ?? [];
        list.push(toQueued(r));
        byKey.set(k, list);
      }
      return sessions.map((s) => ({
        session: {
          tenant: s.tenant,
          clientId: s.client_id,
          identity: JSON.parse(s.identity) as unknown,
          expiryInterval: s.expiry_interval,
          disconnectedAt: s.disconnected_at,
          subscriptions: JSON.parse(s.subscriptions) as unknown[],
          will: decodeWill(s.will),
        },
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
      const rows = prepare('SELECT * FROM mqtt_retained').all() as {
        tenant: string;
        topic: string;
        payload: Buffer;
        qos: number;
        properties: string;
        received_at: number;
      }[];
      return rows.map((r) => ({
        tenant: r.tenant,
        message: {
          topic: r.topic,
          payload: r.payload,
          qos: r.qos as 0 | 1 | 2,
          retain: true,
          properties: decodeProps(r.properties),
          receivedAt: r.received_at,
        },
      }));
    },
    async setRetained(tenant, topic, message) {
      if (!message) deleteRetained.run(tenant, topic);
      else
        upsertRetained.run(
          tenant,
          topic,
          message.payload,
          message.qos,
          encodeProps(message.properties),
          message.receivedAt,
        );
    },
  };
}
