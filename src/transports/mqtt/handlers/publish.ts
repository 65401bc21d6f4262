import { isUtf8 } from 'node:buffer';
import type { IPublishPacket } from 'mqtt-packet';
import { TokenBucket } from '../../../core/token-bucket.js';
import { topicNameProblem } from '../../../core/topic.js';
import { mayPublish } from '../acl.js';
import type { Connection } from '../connection.js';
import { deviceDataKind, forwardDeviceData } from '../device-data.js';
import { encodeAck } from '../fast-path.js';
import { type Message, messageProperties } from '../message.js';
import { propertiesProblem } from '../properties.js';
import { RC } from '../reason-codes.js';
import type { Session } from '../session.js';
import type { Traffic } from '../traffic.js';
import type { PacketHandler } from './index.js';

/** Resolves an incoming topic alias [MQTT-3.3.2-7..12]; undefined after closing the connection. */
function resolveTopic(conn: Connection, packet: IPublishPacket): string | undefined {
  const alias = packet.properties?.topicAlias;
  if (conn.protocolVersion !== 5 || alias === undefined) return packet.topic;
  if (alias === 0 || alias > conn.broker.config.topicAliasMaximum) {
    conn.protocolError(RC.TOPIC_ALIAS_INVALID, `topic alias ${alias} is out of range`);
    return undefined;
  }
  if (packet.topic === '') {
    const known = conn.aliasesIn.get(alias);
    if (known === undefined) conn.protocolError(RC.PROTOCOL_ERROR, `topic alias ${alias} was never set`);
    return known;
  }
  conn.aliasesIn.set(alias, packet.topic);
  return packet.topic;
}

/** Sends a PUBACK/PUBREC in its turn (see Connection.sendAck), with a reason for MQTT 5 failures. */
function ack(conn: Connection, packet: IPublishPacket, reasonCode: number, reason?: string): void {
  if (packet.qos === 0) return;
  conn.sendAck(ackSender(conn, packet, reasonCode, reason));
}

/** The acknowledgement of one PUBLISH, as a function to run when its turn comes. */
export function ackSender(
  conn: Connection,
  packet: IPublishPacket,
  reasonCode: number,
  reason?: string,
): () => void {
  const messageId = packet.messageId as number;
  const cmd = packet.qos === 1 ? 'puback' : 'pubrec';
  return () => {
    if (packet.qos === 1) {
      conn.incomingUnacked--;
      conn.resumeAfterAcks();
    } else if (reasonCode >= 0x80) {
      // A refused QoS 2 message ends here: its id is free again [MQTT-4.3.3], no PUBREL follows.
      conn.session?.incomingQos2.delete(messageId);
      conn.resumeAfterAcks();
    }
    if (conn.protocolVersion !== 5 || (reasonCode === 0 && reason === undefined)) {
      conn.writeRaw(encodeAck(cmd, messageId));
      return;
    }
    const withReason =
      reason !== undefined && conn.problemInfo ? { properties: { reasonString: reason.slice(0, 512) } } : {};
    // Too long for the client's Maximum Packet Size: the code alone still goes out.
    if (!conn.write({ cmd, messageId, reasonCode, ...withReason }))
      conn.write({ cmd, messageId, reasonCode });
  };
}

/** Per-device rates from the profile: over the limit, the connection stops being read until it is back under (TCP backpressure, nothing dropped). */
function throttle(conn: Connection, session: Session, bytes: number): void {
  const who = session.identity;
  if (who.kind !== 'device') return;
  const now = Date.now();
  if (!session.rate) {
    const l = who.limits;
    session.rate = {
      messages: new TokenBucket(l.messagesPerSecond, l.messagesPerSecond * l.burstSeconds, now),
      bytes: new TokenBucket(l.bytesPerSecond, l.bytesPerSecond * l.burstSeconds, now),
    };
  }
  session.rate.messages.take(1, now);
  session.rate.bytes.take(bytes, now);
  const wait = Math.max(session.rate.messages.waitMs(now), session.rate.bytes.waitMs(now));
  if (wait > 0) {
    conn.broker.metrics.throttled.inc();
    conn.pause();
    setTimeout(() => conn.resume(), wait).unref();
  }
}

/**
 * PUBLISH from a client: topic checks (aliases, wildcards, UTF-8), QoS 2
 * duplicate suppression, flow control, ACL, rate limits, then routing and
 * the acknowledgement.
 */
export const handlePublish: PacketHandler<IPublishPacket> = (conn, packet) => {
  const session = conn.session as Session;
  const broker = conn.broker;
  const badProps = propertiesProblem(packet.properties);
  if (badProps) return conn.protocolError(badProps.code, badProps.reason);
  const topic = resolveTopic(conn, packet);
  if (topic === undefined) return;
  const problem = topicNameProblem(topic);
  if (problem) return conn.protocolError(RC.TOPIC_NAME_INVALID, `topic name ${problem}`); // [MQTT-3.3.2-2]
  const responseTopic = packet.properties?.responseTopic;
  const responseProblem = responseTopic === undefined ? undefined : topicNameProblem(responseTopic);
  if (responseProblem) return conn.protocolError(RC.PROTOCOL_ERROR, `response topic ${responseProblem}`); // [MQTT-3.3.2-14]
  if (packet.qos === 2 && session.incomingQos2.has(packet.messageId as number)) {
    // Duplicate: acknowledge (after the original's PUBREC, which may wait for a commit), do not route again.
    const messageId = packet.messageId as number;
    return conn.sendAck(() => conn.write({ cmd: 'pubrec', messageId }));
  }
  if (packet.qos > 0) {
    // Unacknowledged: QoS 1 not yet PUBACKed on this connection, QoS 2 not yet released.
    const unacked = conn.incomingUnacked + session.incomingQos2.size;
    if (unacked >= broker.config.receiveMaximum && conn.protocolVersion === 5) {
      return conn.protocolError(
        RC.RECEIVE_MAXIMUM_EXCEEDED,
        'more unacknowledged QoS 1/2 messages than Receive Maximum',
      ); // [MQTT-3.3.4-9]
    }
    if (packet.qos === 1) conn.incomingUnacked++;
    else session.incomingQos2.add(packet.messageId as number);
    // MQTT 3.1.1 has no Receive Maximum: a client that runs ahead of our acknowledgements
    // (held until its data is committed) is simply not read until they catch up.
    if (unacked + 1 >= broker.config.receiveMaximum) conn.pauseForAcks();
  }
  broker.metrics.received.inc();
  (conn.traffic as Traffic).messagesIn++;
  throttle(conn, session, packet.payload.length);

  if (!mayPublish(session.identity, session.clientId, topic)) {
    broker.metrics.denied.inc({ action: 'publish' });
    broker.noteDenied(session, 'publish', topic);
    return ack(conn, packet, RC.NOT_AUTHORIZED, `not allowed to publish to ${topic}`);
  }
  const props = messageProperties(packet.properties);
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
  if (props.payloadFormatIndicator && !isUtf8(payload)) {
    broker.metrics.dropped.inc({ reason: 'payload_format' });
    return ack(conn, packet, RC.PAYLOAD_FORMAT_INVALID, 'payload is not valid UTF-8 but says it is'); // [MQTT-3.3.2-4]
  }
  const message: Message = {
    topic,
    payload,
    qos: packet.qos,
    retain: packet.retain,
    properties: props,
    receivedAt: Date.now(),
    from: session.key,
  };
  const receivers = broker.router.publish(session.tenant, message);
  const kind = deviceDataKind(session, topic);
  if (kind) return forwardDeviceData(conn, session, packet, kind, message);
  ack(conn, packet, receivers === 0 ? RC.NO_MATCHING_SUBSCRIBERS : RC.SUCCESS);
};
