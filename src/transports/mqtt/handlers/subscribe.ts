import type { ISubscribePacket } from 'mqtt-packet';
import { parseShared, topicFilterProblem } from '../../../core/topic.js';
import { maySubscribe } from '../acl.js';
import { remainingExpiry } from '../message.js';
import { propertiesProblem } from '../properties.js';
import { RC } from '../reason-codes.js';
import type { Session } from '../session.js';
import type { SubscriptionOptions } from '../topic-tree.js';
import type { PacketHandler } from './index.js';

const MAX_SUBSCRIPTION_ID = 268_435_455;

/**
 * SUBSCRIBE: each filter is checked (syntax, ACL) and granted or refused
 * with its own reason code in SUBACK [MQTT-3.8.4-6]; retained messages are
 * then sent as Retain Handling asks [MQTT-3.3.1-9..11].
 */
export const handleSubscribe: PacketHandler<ISubscribePacket> = (conn, packet) => {
  const session = conn.session as Session;
  const broker = conn.broker;
  const v5 = conn.protocolVersion === 5;
  const badProps = propertiesProblem(packet.properties);
  if (badProps) return conn.protocolError(badProps.code, badProps.reason);
  const subId = packet.properties?.subscriptionIdentifier;
  if (subId !== undefined && (subId < 1 || subId > MAX_SUBSCRIPTION_ID)) {
    return conn.protocolError(RC.PROTOCOL_ERROR, 'subscription identifier out of range');
  }
  if (packet.subscriptions.length === 0)
    return conn.protocolError(RC.PROTOCOL_ERROR, 'SUBSCRIBE without topic filters'); // [MQTT-3.8.3-2]
  const granted: number[] = [];
  const problems: string[] = [];
  const replays: { filter: string; qos: 0 | 1 | 2; id: number | undefined }[] = [];
  for (const sub of packet.subscriptions) {
    const raw = sub.topic;
    const qos = sub.qos;
    const problem = topicFilterProblem(raw) ?? (raw.includes('\uFFFD') ? 'is not valid UTF-8' : undefined);
    if (problem) {
      granted.push(v5 ? RC.TOPIC_FILTER_INVALID : 0x80);
      problems.push(`${raw}: ${problem}`);
      continue;
    }
    const shared = parseShared(raw);
    const filter = shared ? shared.filter : raw;
    if (shared && sub.nl) return conn.protocolError(RC.PROTOCOL_ERROR, 'No Local on a shared subscription'); // [MQTT-3.8.3-4]
    if (!maySubscribe(session.identity, session.clientId, filter)) {
      broker.metrics.denied.inc({ action: 'subscribe' });
      broker.noteDenied(session, 'subscribe', raw);
      granted.push(v5 ? RC.NOT_AUTHORIZED : 0x80);
      problems.push(`${raw}: not allowed`);
      continue;
    }
    const options: SubscriptionOptions = {
      qos,
      noLocal: sub.nl === true,
      retainAsPublished: sub.rap === true,
      retainHandling: (sub.rh ?? 0) as 0 | 1 | 2,
      ...(subId === undefined ? {} : { id: subId }),
    };
    const isNew = broker.router.subscribe(session, filter, options, shared?.group);
    granted.push(qos);
    // Retained messages are not sent for shared subscriptions [MQTT-3.8.4-? §4.8.2].
    if (!shared && (options.retainHandling === 0 || (options.retainHandling === 1 && isNew))) {
      replays.push({ filter, qos, id: subId });
    }
  }
  const reason =
    v5 && problems.length > 0 && conn.problemInfo
      ? { properties: { reasonString: problems.join('; ') } }
      : {};
  conn.write({ cmd: 'suback', messageId: packet.messageId as number, granted, ...reason });
  broker.saveSession(session, false);
  broker.downlinks.commandsReady(session);
  const now = Date.now();
  for (const r of replays) {
    broker.router.retainedIndex(broker.router.namespaceOf(session, r.filter)).match(r.filter, (_topic, m) => {
      const left = remainingExpiry(m, now);
      if (left !== undefined && left <= 0) return;
      broker.deliverTo(session, {
        message: m,
        qos: Math.min(m.qos, r.qos) as 0 | 1 | 2,
        retain: true,
        subscriptionIds: r.id === undefined ? [] : [r.id],
      });
    });
  }
};
