import type { MqttQueuedRecord, MqttStore } from '../mqtt.js';
import {
  type MessageRow,
  messageColumns,
  type PublisherCodec,
  type RetainedRow,
  retainedColumns,
  type SessionRow,
  sessionColumns,
  toQueued,
  toRetained,
  toSession,
} from '../rows/mqtt.js';
import type { PgPool } from './database.js';
import { KeyedOrder } from './keyed-order.js';
import { statement } from './statement.js';

const MESSAGE_COLUMNS = `topic, payload, qos, retain, properties, received_at, publisher, out_qos, out_retain,
  subscription_ids, packet_id, state`;
// A batch of messages as one array per column; WITH ORDINALITY keeps their order in seq.
const MESSAGE_ARRAYS = `unnest($1::text[], $2::bytea[], $3::bigint[], $4::bigint[], $5::text[], $6::bigint[],
  $7::text[], $8::bigint[], $9::bigint[], $10::text[], $11::bigint[], $12::text[], $13::text[], $14::text[])
  WITH ORDINALITY AS u(${MESSAGE_COLUMNS}, tenant, client_id, ord)`;
const SESSION_COLUMNS = 'tenant, client_id, identity, expiry_interval, disconnected_at, subscriptions, will';

const SQL = {
  // One statement: the DELETE sees the rows from before it, never the ones this INSERT adds.
  saveSession: statement(`WITH s AS (INSERT INTO mqtt_sessions (${SESSION_COLUMNS})
      VALUES ($15, $16, $17, $18, $19, $20, $21) ON CONFLICT (tenant, client_id) DO UPDATE SET
      identity = excluded.identity, expiry_interval = excluded.expiry_interval,
      disconnected_at = excluded.disconnected_at, subscriptions = excluded.subscriptions, will = excluded.will),
    d AS (DELETE FROM mqtt_messages WHERE tenant = $15 AND client_id = $16)
    INSERT INTO mqtt_messages (tenant, client_id, ${MESSAGE_COLUMNS})
    SELECT $15, $16, ${MESSAGE_COLUMNS} FROM ${MESSAGE_ARRAYS} ORDER BY ord`),
  appendMessages: statement(`INSERT INTO mqtt_messages (tenant, client_id, ${MESSAGE_COLUMNS})
    SELECT tenant, client_id, ${MESSAGE_COLUMNS} FROM ${MESSAGE_ARRAYS} ORDER BY ord`),
  deleteSession: statement(`WITH d AS (DELETE FROM mqtt_messages WHERE tenant = $1 AND client_id = $2)
    DELETE FROM mqtt_sessions WHERE tenant = $1 AND client_id = $2`),
  loadSessions: statement(`SELECT ${SESSION_COLUMNS} FROM mqtt_sessions`),
  loadMessages: statement(`SELECT tenant, client_id, ${MESSAGE_COLUMNS} FROM mqtt_messages ORDER BY seq`),
  loadRetained: statement('SELECT * FROM mqtt_retained'),
  setRetained: statement(`INSERT INTO mqtt_retained (tenant, topic, payload, qos, properties, received_at)
    VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant, topic) DO UPDATE SET payload = excluded.payload,
    qos = excluded.qos, properties = excluded.properties, received_at = excluded.received_at`),
  clearRetained: statement('DELETE FROM mqtt_retained WHERE tenant = $1 AND topic = $2'),
};

/**
 * PostgreSQL text cannot hold U+0000, which separates tenant and client id
 * in the publisher's session key: it is stored as `\0`, and `\` as `\\`
 * (reversible for any text). Copying mqtt_messages.publisher between the
 * backends must convert it with this codec.
 */
export const PG_PUBLISHER: PublisherCodec = {
  encode: (s) => s.replace(/[\\\0]/g, (c) => (c === '\\' ? '\\\\' : '\\0')),
  decode: (s) => s.replace(/\\([\\0])/g, (_m, c: string) => (c === '0' ? '\0' : '\\')),
};

/** Column arrays of `MESSAGE_ARRAYS` ($1..$14) for a batch of messages. */
function messageArrays(items: readonly { tenant: string; clientId: string; item: MqttQueuedRecord }[]) {
  const arrays: unknown[][] = Array.from({ length: 14 }, () => []);
  for (const { tenant, clientId, item } of items) {
    const row = [...messageColumns(item, PG_PUBLISHER), tenant, clientId];
    for (let i = 0; i < 14; i++) arrays[i]?.push(row[i]);
  }
  return arrays;
}

const sessionKey = (tenant: string, clientId: string) => `s\u0000${tenant}\u0000${clientId}`;

/**
 * The broker's durable state on PostgreSQL. Every write is one statement
 * (atomic without a transaction) and writes of one session, or of one
 * retained topic, apply in call order as they do on SQLite (keyed-order.ts).
 * The broker does not await its writes (its last snapshots are sent as it
 * stops): `settled()` waits for them before the pool closes.
 */
export function createPgMqttStore(pool: PgPool): MqttStore & { settled(): Promise<void> } {
  const order = new KeyedOrder();
  return {
    async loadSessions() {
      const [sessions, messages] = await Promise.all([
        pool.query<SessionRow>(SQL.loadSessions()),
        pool.query<MessageRow>(SQL.loadMessages()),
      ]);
      const byKey = new Map<string, MqttQueuedRecord[]>();
      for (const r of messages.rows) {
        const k = sessionKey(r.tenant, r.client_id);
        const list = byKey.get(k) ?? [];
        list.push(toQueued(r, PG_PUBLISHER));
        byKey.set(k, list);
      }
      return sessions.rows.map((s) => ({
        session: toSession(s),
        messages: byKey.get(sessionKey(s.tenant, s.client_id)) ?? [],
      }));
    },
    saveSession(session, messages) {
      const { tenant, clientId } = session;
      const arrays = messageArrays(messages.map((item) => ({ tenant, clientId, item })));
      const values = [...arrays, ...sessionColumns(session)];
      return order.run([sessionKey(tenant, clientId)], async () => {
        await pool.query(SQL.saveSession(values));
      });
    },
    appendMessages(items) {
      if (items.length === 0) return Promise.resolve();
      const values = messageArrays(items);
      return order.run(
        items.map((i) => sessionKey(i.tenant, i.clientId)),
        async () => {
          await pool.query(SQL.appendMessages(values));
        },
      );
    },
    deleteSession(tenant, clientId) {
      return order.run([sessionKey(tenant, clientId)], async () => {
        await pool.query(SQL.deleteSession([tenant, clientId]));
      });
    },
    async loadRetained() {
      return (await pool.query<RetainedRow>(SQL.loadRetained())).rows.map(toRetained);
    },
    setRetained(tenant, topic, message) {
      const q = message
        ? SQL.setRetained(retainedColumns(tenant, topic, message))
        : SQL.clearRetained([tenant, topic]);
      return order.run([`r\u0000${tenant}\u0000${topic}`], async () => {
        await pool.query(q);
      });
    },
    settled: () => order.settled(),
  };
}
