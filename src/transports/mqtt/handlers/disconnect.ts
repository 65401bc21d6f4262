import type { IDisconnectPacket } from 'mqtt-packet';
import { RC } from '../reason-codes.js';
import type { PacketHandler } from './index.js';

/**
 * A clean DISCONNECT discards the will [MQTT-3.14.4-3], unless an MQTT 5
 * client asks for it with 0x04; it may also shorten the session expiry, but
 * not raise it from 0 [MQTT-3.14.2-2].
 */
export const handleDisconnect: PacketHandler<IDisconnectPacket> = (conn, packet) => {
  const session = conn.session;
  if (session) {
    if (packet.reasonCode !== RC.DISCONNECT_WITH_WILL) session.will = undefined;
    const expiry = packet.properties?.sessionExpiryInterval;
    if (expiry !== undefined) {
      if (session.expiryInterval === 0 && expiry > 0) {
        return conn.protocolError(
          RC.PROTOCOL_ERROR,
          'session expiry cannot be set on DISCONNECT when it was 0 at CONNECT',
        );
      }
      session.expiryInterval = Math.min(expiry, conn.broker.config.maxSessionExpiry);
    }
  }
  conn.stream.end();
};
