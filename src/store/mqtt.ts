/**
 * Storage of the MQTT broker's durable state: sessions that outlive their
 * connection (subscriptions, will, queued and in-flight QoS 1/2 messages)
 * and retained messages. Records are plain data; the broker owns their
 * meaning. Payloads are bytes; properties and identity are opaque JSON.
 */
export interface MqttMessageRecord {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  /** MQTT 5 properties (Buffers allowed as values: correlation data). */
  readonly properties: object;
  readonly receivedAt: number;
  readonly from?: string | undefined;
}

/** A message on its way to one session: queued, or in flight with its packet id. */
export interface MqttQueuedRecord {
  readonly message: MqttMessageRecord;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  readonly subscriptionIds: readonly number[];
  readonly packetId?: number | undefined;
  readonly state?: 'publish' | 'pubrel' | undefined;
}

export interface MqttSessionRecord {
  readonly tenant: string;
  readonly clientId: string;
  readonly identity: unknown;
  readonly expiryInterval: number;
  /** Epoch ms, or null while connected. */
  readonly disconnectedAt: number | null;
  readonly subscriptions: readonly unknown[];
  readonly will: { readonly message: MqttMessageRecord; readonly delay: number } | null;
}

export interface MqttStore {
  /** Every stored session with its messages in order. */
  loadSessions(): Promise<{ session: MqttSessionRecord; messages: MqttQueuedRecord[] }[]>;
  /** Replaces the session's record and all its messages, in one transaction. */
  saveSession(session: MqttSessionRecord, messages: readonly MqttQueuedRecord[]): Promise<void>;
  /** Appends messages for a session whose client is away (written as one transaction). */
  appendMessages(
    items: readonly { tenant: string; clientId: string; item: MqttQueuedRecord }[],
  ): Promise<void>;
  deleteSession(tenant: string, clientId: string): Promise<void>;
  loadRetained(): Promise<{ tenant: string; message: MqttMessageRecord }[]>;
  /** Stores a retained message, or clears the topic when `message` is undefined. */
  setRetained(tenant: string, topic: string, message: MqttMessageRecord | undefined): Promise<void>;
}
