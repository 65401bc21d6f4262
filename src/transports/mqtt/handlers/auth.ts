import type { IAuthPacket } from 'mqtt-packet';
import { RC } from '../reason-codes.js';
import type { PacketHandler } from './index.js';

/** Enhanced authentication (AUTH) is not offered: CONNECT said so, so an AUTH is a protocol error [MQTT-4.12.0-1]. */
export const handleAuth: PacketHandler<IAuthPacket> = (conn) => {
  conn.protocolError(RC.PROTOCOL_ERROR, 'enhanced authentication is not supported');
};
