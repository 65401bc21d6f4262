import type { IUnsubscribePacket } from 'mqtt-packet';
import { parseShared } from '../../../core/topic.js';
import { RC } from '../reason-codes.js';
import type { Session } from '../session.js';
import type { PacketHandler } from './index.js';

/** UNSUBSCRIBE: removes each filter; MQTT 5 clients learn per filter whether it existed [MQTT-3.11.3]. */
export const handleUnsubscribe: PacketHandler<IUnsubscribePacket> = (conn, packet) => {
  const session = conn.session as Session;
  if (packet.unsubscriptions.length === 0)
    return conn.protocolError(RC.PROTOCOL_ERROR, 'UNSUBSCRIBE without topic filters'); // [MQTT-3.10.3-2]
  const codes: number[] = [];
  for (const raw of packet.unsubscriptions) {
    const shared = parseShared(raw);
    const filter = shared ? shared.filter : raw;
    const removed = conn.broker.router.unsubscribe(session, filter, shared?.group);
    codes.push(removed ? RC.SUCCESS : RC.NO_SUBSCRIPTION_EXISTED);
  }
  conn.broker.saveSession(session, false);
  if (conn.protocolVersion === 5) {
    conn.write({ cmd: 'unsuback', messageId: packet.messageId as number, granted: codes });
  } else {
    conn.write({ cmd: 'unsuback', messageId: packet.messageId as number, granted: [] }); // 3.1.1 has no codes
  }
};
