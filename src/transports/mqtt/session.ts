import type { TokenBucket } from '../../core/token-bucket.js';
import type { Connection } from './connection.js';
import type { Identity } from './identity.js';
import type { Message, QoS } from './message.js';
import type { SubscriptionOptions } from './topic-tree.js';

/** A QoS 1/2 message on its way to this session's client. */
export interface Outgoing {
  readonly message: Message;
  readonly qos: 1 | 2;
  /** RETAIN flag as it goes out (Retain As Published, or a retained replay). */
  readonly retain: boolean;
  readonly subscriptionIds: readonly number[];
  /** `publish` until PUBREC arrives, then `pubrel` (QoS 2) [MQTT-4.3.3]. */
  state: 'publish' | 'pubrel';
}

export interface Pending {
  readonly message: Message;
  readonly qos: QoS;
  readonly retain: boolean;
  readonly subscriptionIds: readonly number[];
}

export interface StoredSubscription extends SubscriptionOptions {
  readonly filter: string;
  readonly group?: string;
}

export interface Will {
  readonly message: Message;
  /** Seconds to wait after an abnormal disconnect (MQTT 5 Will Delay Interval). */
  readonly delay: number;
}

/** Session state that outlives connections (MQTT §4.1). */
export class Session {
  readonly key: string;
  readonly tenant: string;
  readonly clientId: string;
  identity: Identity;
  connection: Connection | undefined;
  /** Seconds the session survives its connection; 0 ends it at disconnect, 0xFFFFFFFF never. */
  expiryInterval: number;
  disconnectedAt: number | undefined;
  /** QoS 1/2 messages sent and not yet acknowledged, by packet id. */
  readonly inflight = new Map<number, Outgoing>();
  /** Messages waiting for a free slot (receive maximum) or for the client to return. */
  readonly queue: Pending[] = [];
  /** QoS 2 packet ids received and not yet released (PUBREL), to drop duplicates [MQTT-4.3.3-10]. */
  readonly incomingQos2 = new Set<number>();
  will: Will | undefined;
  willTimer: NodeJS.Timeout | undefined;
  expiryTimer: NodeJS.Timeout | undefined;
  /** Per-device message and byte rates from the profile (created on first publish). */
  rate: { readonly messages: TokenBucket; readonly bytes: TokenBucket } | undefined;
  #nextId = 1;

  constructor(tenant: string, clientId: string, identity: Identity, expiryInterval: number) {
    this.key = sessionKey(tenant, clientId);
    this.tenant = tenant;
    this.clientId = clientId;
    this.identity = identity;
    this.expiryInterval = expiryInterval;
  }

  /** A free packet identifier (1..65535, skipping ids still in flight) [MQTT-2.2.1-3]. */
  nextPacketId(): number | undefined {
    if (this.inflight.size >= 65535) return undefined;
    for (;;) {
      const id = this.#nextId;
      this.#nextId = id === 65535 ? 1 : id + 1;
      if (!this.inflight.has(id)) return id;
    }
  }
}

export function sessionKey(tenant: string, clientId: string): string {
  return `${tenant}\u0000${clientId}`;
}
