import type { IPublishPacket, UserProperties } from 'mqtt-packet';

export type QoS = 0 | 1 | 2;

/** MQTT 5 application properties that travel with a message (§3.3.2.3). */
export interface MessageProperties {
  readonly payloadFormatIndicator?: boolean;
  readonly messageExpiryInterval?: number;
  readonly contentType?: string;
  readonly responseTopic?: string;
  readonly correlationData?: Buffer;
  readonly userProperties?: UserProperties;
}

/** A message as routed inside one tenant's namespace. */
export interface Message {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: QoS;
  readonly retain: boolean;
  readonly properties: MessageProperties;
  /** Epoch ms when the broker received it; message expiry counts from here. */
  readonly receivedAt: number;
  /** Session key of the publisher (for No Local), or undefined for the platform. */
  readonly from?: string;
}

/** Keeps only the properties a broker forwards (not topic alias or subscription id). */
const NO_PROPERTIES: MessageProperties = Object.freeze({});

export function messageProperties(p: IPublishPacket['properties'] | undefined): MessageProperties {
  if (!p) return NO_PROPERTIES; // MQTT 3.1.1 and most MQTT 5 messages: one shared empty object
  const out: {
    -readonly [K in keyof MessageProperties]: MessageProperties[K];
  } = {};
  if (p.payloadFormatIndicator !== undefined) out.payloadFormatIndicator = p.payloadFormatIndicator;
  if (p.messageExpiryInterval !== undefined) out.messageExpiryInterval = p.messageExpiryInterval;
  if (p.contentType !== undefined) out.contentType = p.contentType;
  if (p.responseTopic !== undefined) out.responseTopic = p.responseTopic;
  if (p.correlationData !== undefined) out.correlationData = p.correlationData;
  if (p.userProperties !== undefined) out.userProperties = p.userProperties;
  return out;
}

/** Seconds left before the message expires, or undefined when it has no expiry; <= 0 means expired [MQTT-3.3.2-5]. */
export function remainingExpiry(m: Message, now: number): number | undefined {
  const interval = m.properties.messageExpiryInterval;
  if (interval === undefined) return undefined;
  return interval - Math.floor((now - m.receivedAt) / 1000);
}
