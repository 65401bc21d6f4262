import type { IPingreqPacket } from 'mqtt-packet';
import type { PacketHandler } from './index.js';

/** PINGREQ → PINGRESP [MQTT-3.12.4-1]; any packet already reset the keep-alive clock. */
export const handlePingreq: PacketHandler<IPingreqPacket> = (conn) => {
  conn.write({ cmd: 'pingresp' });
};
