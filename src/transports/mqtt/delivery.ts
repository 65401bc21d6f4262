import type { IPublishPacket } from 'mqtt-packet';
import { mayReceive } from './acl.js';
import type { Connection } from './connection.js';
import { encodeAck, encodePublish311 } from './fast-path.js';
import { type Message, remainingExpiry } from './message.js';
import type { Outgoing, Pending, Session } from './session.js';

/**
 * Getting messages to one session's client: QoS 0 now or never; QoS 1/2
 * through the in-flight window (the client's Receive Maximum), the rest
 * queued in order until a slot frees or the client returns [MQTT-4.9.0].
 */
export function deliver(
  session: Session,
  item: Pending,
  maxQueued: number,
  onDrop: (reason: 'queue_full' | 'slow_client') => void,
): void {
  const conn = session.connection;
  if (conn?.state === 'connected' && session.queue.length === 0) {
    if (item.qos === 0) {
      // QoS 0 to a client that stopped reading is dropped, not buffered without bound.
      if (conn.bufferedBytes > conn.broker.config.maxBufferedBytes) onDrop('slow_client');
      else sendPublish(conn, item.message, 0, undefined, item.retain, item.subscriptionIds, false);
      return;
    }
    if (session.inflight.size < conn.receiveMaximumOut) {
      sendTracked(conn, session, item as Pending & { qos: 1 | 2 });
      return;
    }
  }
  if (item.qos === 0 && !conn) return; // QoS 0 is not kept for absent clients
  if (session.queue.length >= maxQueued) {
    onDrop('queue_full');
    return;
  }
  session.queue.push(item);
}

/** Sends queued messages while the window allows. */
export function drain(session: Session, now: number): void {
  const conn = session.connection;
  if (conn?.state !== 'connected') return;
  while (session.queue.length > 0) {
    const item = session.queue[0] as Pending;
    if (item.qos > 0 && session.inflight.size >= conn.receiveMaximumOut) return;
    session.queue.shift();
    const left = remainingExpiry(item.message, now);
    if (left !== undefined && left <= 0) continue; // expired while queued [MQTT-3.3.2-5]
    // The client's rules may have narrowed while the message waited.
    if (!mayReceive(session.identity, session.clientId, item.message.topic)) continue;
    if (item.qos === 0)
      sendPublish(conn, item.message, 0, undefined, item.retain, item.subscriptionIds, false);
    else sendTracked(conn, session, item as Pending & { qos: 1 | 2 });
  }
}

/** After a reconnect: unacknowledged PUBLISHes again with DUP, PUBRELs again [MQTT-4.4.0-1]. */
export function resend(conn: Connection, session: Session): void {
  for (const [id, out] of session.inflight) {
    if (out.state === 'pubrel') conn.writeRaw(encodeAck('pubrel', id));
    else sendPublish(conn, out.message, out.qos, id, out.retain, out.subscriptionIds, true);
  }
}

function sendTracked(conn: Connection, session: Session, item: Pending & { qos: 1 | 2 }): void {
  const id = session.nextPacketId();
  if (id === undefined) {
    session.queue.unshift(item);
    return;
  }
  const out: Outgoing = {
    message: item.message,
    qos: item.qos,
    retain: item.retain,
    subscriptionIds: item.subscriptionIds,
    state: 'publish',
  };
  session.inflight.set(id, out);
  const sent = sendPublish(conn, item.message, item.qos, id, item.retain, item.subscriptionIds, false);
  // Too large for the client's Maximum Packet Size: discarded as if delivered, so it
  // does not hold a slot of the window for ever [MQTT-3.1.2-25].
  if (!sent && conn.state === 'connected') session.inflight.delete(id);
}

export function sendPublish(
  conn: Connection,
  m: Message,
  qos: 0 | 1 | 2,
  messageId: number | undefined,
  retain: boolean,
  subscriptionIds: readonly number[],
  dup: boolean,
): boolean {
  if (conn.traffic) conn.traffic.messagesOut++;
  if (conn.protocolVersion !== 5) {
    // 3.1.1 PUBLISH has no properties: encode it directly (see fast-path.ts).
    return conn.writeRaw(encodePublish311(m.topic, m.payload, qos, messageId, retain, dup));
  }
  const packet: IPublishPacket = { cmd: 'publish', topic: m.topic, payload: m.payload, qos, retain, dup };
  if (messageId !== undefined) packet.messageId = messageId;
  const props: NonNullable<IPublishPacket['properties']> = { ...m.properties };
  const left = remainingExpiry(m, Date.now());
  if (left !== undefined) props.messageExpiryInterval = Math.max(1, left); // [MQTT-3.3.2-6]
  if (subscriptionIds.length > 0) {
    props.subscriptionIdentifier =
      subscriptionIds.length === 1 ? (subscriptionIds[0] as number) : [...subscriptionIds];
  }
  if (conn.aliasMaxOut > 0) applyOutgoingAlias(conn, packet, props);
  if (Object.keys(props).length > 0) packet.properties = props;
  const newAlias = packet.topic !== '' ? props.topicAlias : undefined;
  const sent = conn.write(packet);
  // An alias the client never received must not be used later (the message was too large to send).
  if (!sent && newAlias !== undefined) conn.aliasesOut.delete(packet.topic);
  return sent;
}

/** Topic aliases towards the client: first use sends topic + alias, later uses the alias alone [MQTT-3.3.2-12]. */
function applyOutgoingAlias(
  conn: Connection,
  packet: IPublishPacket,
  props: NonNullable<IPublishPacket['properties']>,
): void {
  const known = conn.aliasesOut.get(packet.topic);
  if (known !== undefined) {
    props.topicAlias = known;
    packet.topic = '';
    return;
  }
  if (conn.aliasesOut.size < conn.aliasMaxOut) {
    const alias = conn.aliasesOut.size + 1;
    conn.aliasesOut.set(packet.topic, alias);
    props.topicAlias = alias;
  }
}
