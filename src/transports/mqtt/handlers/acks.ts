import type { IPubackPacket, IPubcompPacket, IPubrecPacket, IPubrelPacket } from 'mqtt-packet';
import { drain } from '../delivery.js';
import { encodeAck } from '../fast-path.js';
import { RC } from '../reason-codes.js';
import type { Session } from '../session.js';
import type { PacketHandler } from './index.js';

type AckPacket = IPubackPacket | IPubrecPacket | IPubrelPacket | IPubcompPacket;

/**
 * The QoS 1/2 acknowledgement flows (§4.3): PUBACK and PUBCOMP free an
 * in-flight slot (and send the next queued message), PUBREC moves a QoS 2
 * message to PUBREL, PUBREL from the client releases its QoS 2 packet id.
 */
export const handleAck: PacketHandler<AckPacket> = (conn, packet) => {
  const session = conn.session as Session;
  const id = packet.messageId as number;
  const v5 = conn.protocolVersion === 5;
  switch (packet.cmd) {
    case 'puback':
    case 'pubcomp': {
      const out = session.inflight.get(id);
      // A PUBACK for a QoS 2 message (or PUBCOMP before PUBREC) is ignored rather than trusted.
      if (out && (packet.cmd === 'puback' ? out.qos === 1 : out.state === 'pubrel')) {
        session.inflight.delete(id);
        if (out.message.from === undefined) {
          conn.broker.downlinks.acknowledged(session, out.message.topic, packet.reasonCode ?? 0);
        }
        drain(session, Date.now());
      }
      return;
    }
    case 'pubrec': {
      const out = session.inflight.get(id);
      if (out?.qos !== 2) {
        return conn.write(
          v5
            ? { cmd: 'pubrel', messageId: id, reasonCode: RC.PACKET_IDENTIFIER_NOT_FOUND }
            : { cmd: 'pubrel', messageId: id },
        );
      }
      if ((packet.reasonCode ?? 0) >= 0x80) {
        // The client refused the message: it is done [MQTT-4.3.3-4 note].
        session.inflight.delete(id);
        if (out.message.from === undefined) {
          conn.broker.downlinks.acknowledged(session, out.message.topic, packet.reasonCode ?? 0x80);
        }
        drain(session, Date.now());
        return;
      }
      out.state = 'pubrel';
      conn.writeRaw(encodeAck('pubrel', id));
      return;
    }
    case 'pubrel': {
      const known = session.incomingQos2.delete(id);
      conn.resumeAfterAcks();
      return conn.write(
        v5 && !known
          ? { cmd: 'pubcomp', messageId: id, reasonCode: RC.PACKET_IDENTIFIER_NOT_FOUND }
          : { cmd: 'pubcomp', messageId: id },
      );
    }
  }
};
