import type { MqttMessageRecord, MqttQueuedRecord, MqttSessionRecord } from '../mqtt.js';

/** MQTT rows ↔ records, shared by the SQLite and PostgreSQL stores (same columns). */
export interface MessageRow {
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

export interface SessionRow {
  tenant: string;
  client_id: string;
  identity: string;
  expiry_interval: number;
  disconnected_at: number | null;
  subscriptions: string;
  will: string | null;
}

export interface RetainedRow {
  tenant: string;
  topic: string;
  payload: Buffer;
  qos: number;
  properties: string;
  received_at: number;
}

// Buffers inside properties (correlation data) survive JSON as {"$b64": "..."}.
export const encodeProps = (p: object) =>
  JSON.stringify(p, (_k, v: unknown) =>
    v &&
    typeof v === 'object' &&
    (v as { type?: string }).type === 'Buffer' &&
    Array.isArray((v as { data?: unknown }).data)
      ? { $b64: Buffer.from((v as { data: number[] }).data).toString('base64') }
      : v,
  );
export const decodeProps = (s: string): Record<string, unknown> =>
  JSON.parse(s, (_k, v: unknown) =>
    v && typeof v === 'object' && typeof (v as { $b64?: unknown }).$b64 === 'string'
      ? Buffer.from((v as { $b64: string }).$b64, 'base64')
      : v,
  ) as Record<string, unknown>;

/** How a backend stores the publisher's session key (`tenant` U+0000 `clientId`). */
export interface PublisherCodec {
  encode(from: string): string;
  decode(stored: string): string;
}
const asIs: PublisherCodec = { encode: (s) => s, decode: (s) => s };

/** The columns of `mqtt_messages` after tenant and client_id, in table order. */
export const messageColumns = (q: MqttQueuedRecord, publisher = asIs) => {
  const m = q.message;
  return [
    m.topic,
    m.payload,
    m.qos,
    m.retain ? 1 : 0,
    encodeProps(m.properties),
    m.receivedAt,
    m.from === undefined ? null : publisher.encode(m.from),
    q.qos,
    q.retain ? 1 : 0,
    JSON.stringify(q.subscriptionIds),
    q.packetId ?? null,
    q.state ?? null,
  ] as const;
};

// Absent optional fields are left out rather than set to undefined.
export const toQueued = (r: MessageRow, publisher = asIs): MqttQueuedRecord => ({
  message: {
    topic: r.topic,
    payload: r.payload,
    qos: r.qos as 0 | 1 | 2,
    retain: r.retain === 1,
    properties: decodeProps(r.properties),
    receivedAt: r.received_at,
    ...(r.publisher === null ? {} : { from: publisher.decode(r.publisher) }),
  },
  qos: r.out_qos as 0 | 1 | 2,
  retain: r.out_retain === 1,
  subscriptionIds: JSON.parse(r.subscription_ids) as number[],
  ...(r.packet_id === null ? {} : { packetId: r.packet_id }),
  ...(r.state === null ? {} : { state: r.state as 'publish' | 'pubrel' }),
});

export const encodeWill = (w: MqttSessionRecord['will']) =>
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

export function decodeWill(s: string | null): MqttSessionRecord['will'] {
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

/** The columns of `mqtt_sessions`, in table order. */
export const sessionColumns = (s: MqttSessionRecord) =>
  [
    s.tenant,
    s.clientId,
    JSON.stringify(s.identity),
    s.expiryInterval,
    s.disconnectedAt,
    JSON.stringify(s.subscriptions),
    encodeWill(s.will),
  ] as const;

export const toSession = (s: SessionRow): MqttSessionRecord => ({
  tenant: s.tenant,
  clientId: s.client_id,
  identity: JSON.parse(s.identity) as unknown,
  expiryInterval: s.expiry_interval,
  disconnectedAt: s.disconnected_at,
  subscriptions: JSON.parse(s.subscriptions) as unknown[],
  will: decodeWill(s.will),
});

/** The columns of `mqtt_retained`, in table order. */
export const retainedColumns = (tenant: string, topic: string, m: MqttMessageRecord) =>
  [tenant, topic, m.payload, m.qos, encodeProps(m.properties), m.receivedAt] as const;

export const toRetained = (r: RetainedRow): { tenant: string; message: MqttMessageRecord } => ({
  tenant: r.tenant,
  message: {
    topic: r.topic,
    payload: r.payload,
    qos: r.qos as 0 | 1 | 2,
    retain: true,
    properties: decodeProps(r.properties),
    receivedAt: r.received_at,
  },
});
