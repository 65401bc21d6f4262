import type { Packet } from 'mqtt-packet';
import type { Connection } from '../connection.js';
import { RC } from '../reason-codes.js';
import { handleAck } from './acks.js';
import { handleAuth } from './auth.js';
import { handleConnect } from './connect.js';
import { handleDisconnect } from './disconnect.js';
import { handlePingreq } from './ping.js';
import { handlePublish } from './publish.js';
import { handleSubscribe } from './subscribe.js';
import { handleUnsubscribe } from './unsubscribe.js';

export type PacketHandler<P extends Packet> = (conn: Connection, packet: P) => void;

/**
 * Enforces connection state and dispatches one packet to its handler
 * (STYLE.md §4). The switch is exhaustive over mqtt-packet's union.
 */
export function dispatch(conn: Connection, packet: Packet): void {
  if (conn.state === 'new') {
    // The first packet from a client must be CONNECT [MQTT-3.1.0-1].
    if (packet.cmd === 'connect') handleConnect(conn, packet);
    else conn.protocolError(RC.PROTOCOL_ERROR, `expected CONNECT, got ${packet.cmd}`);
    return;
  }
  if (conn.state === 'connecting') {
    // Input is paused while CONNECT is authenticated, so nothing can arrive here.
    conn.protocolError(RC.IMPLEMENTATION_SPECIFIC_ERROR, `${packet.cmd} handled before CONNACK`);
    return;
  }
  switch (packet.cmd) {
    case 'connect':
      conn.protocolError(RC.PROTOCOL_ERROR, 'second CONNECT on one connection'); // [MQTT-3.1.0-2]
      break;
    case 'publish':
      handlePublish(conn, packet);
      break;
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      handleAck(conn, packet);
      break;
    case 'subscribe':
      handleSubscribe(conn, packet);
      break;
    case 'unsubscribe':
      handleUnsubscribe(conn, packet);
      break;
    case 'pingreq':
      handlePingreq(conn, packet);
      break;
    case 'disconnect':
      handleDisconnect(conn, packet);
      break;
    case 'auth':
      handleAuth(conn, packet);
      break;
    case 'connack':
    case 'suback':
    case 'unsuback':
    case 'pingresp':
      conn.protocolError(RC.PROTOCOL_ERROR, `${packet.cmd} is sent by servers, not clients`);
      break;
    default: {
      const unknown: never = packet;
      conn.protocolError(RC.MALFORMED_PACKET, `unknown packet ${(unknown as Packet).cmd}`);
    }
  }
}
