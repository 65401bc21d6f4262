import { randomBytes } from 'node:crypto';
import type { IConnackPacket, IConnectPacket } from 'mqtt-packet';
import { topicNameProblem } from '../../../core/topic.js';
import { mayPublish } from '../acl.js';
import type { Connection } from '../connection.js';
import type { Identity } from '../identity.js';
import { splitUsername } from '../identity.js';
import { messageProperties } from '../message.js';
import { propertiesProblem } from '../properties.js';
import { connackCode3, RC } from '../reason-codes.js';
import { Session } from '../session.js';
import type { PacketHandler } from './index.js';

const API_KEY_USER = 'apikey';

/** Answers a refused CONNECT in the client's protocol version and closes [MQTT-3.2.2-6]. */
function refuse(conn: Connection, rc5: number, reason: string): void {
  const connack: IConnackPacket =
    conn.protocolVersion === 5
      ? { cmd: 'connack', sessionPresent: false, reasonCode: rc5, properties: { reasonString: reason } }
      : { cmd: 'connack', sessionPresent: false, returnCode: connackCode3(rc5) };
  conn.write(connack);
  conn.broker.log.debug({ address: conn.meta.address, reason }, 'MQTT connection refused');
  conn.close(rc5, reason);
}

/**
 * CONNECT: protocol checks, rate limits, authentication against the
 * registry (username = device id[@tenant], password = secret, client id =
 * device id; `apikey[@tenant]` with an API key; an MQTT user's name[@tenant]
 * and secret; or neither, on the anonymous listener), then the session.
 */
export const handleConnect: PacketHandler<IConnectPacket> = (conn, packet) => {
  const broker = conn.broker;
  const version = (packet.protocolVersion ?? 4) as 3 | 4 | 5;
  conn.setProtocolVersion(version);
  const address = conn.meta.address;
  // Even a refusing CONNACK must fit the client's Maximum Packet Size [MQTT-3.2.2-19].
  const maxOut = packet.properties?.maximumPacketSize;
  if (version === 5 && typeof maxOut === 'number' && maxOut > 0) conn.maxPacketSizeOut = maxOut;

  if (!broker.connectionAllowed(address))
    return refuse(conn, RC.CONNECTION_RATE_EXCEEDED, 'too many connections from this address');
  if (broker.authFailures.retryAfter(address) > 0)
    return refuse(conn, RC.BANNED, 'too many failed logins; try again later');
  const badProps = propertiesProblem(packet.properties) ?? propertiesProblem(packet.will?.properties);
  if (badProps) return refuse(conn, badProps.code, badProps.reason);
  if (packet.properties?.authenticationMethod) {
    return refuse(conn, RC.BAD_AUTHENTICATION_METHOD, 'enhanced authentication is not supported');
  }
  if (packet.will) {
    const problem = topicNameProblem(packet.will.topic);
    if (problem) return refuse(conn, RC.TOPIC_NAME_INVALID, `will topic ${problem}`);
  }
  const username = packet.username;
  const password = packet.password?.toString('utf8');
  if (username === undefined && password === undefined) return connectAnonymous(conn, packet);
  if (!username || password === undefined)
    return refuse(conn, RC.BAD_USER_NAME_OR_PASSWORD, 'user name and password are required');

  const { id: user, tenant } = splitUsername(username);
  conn.state = 'connecting';
  conn.pause();
  const check =
    user === API_KEY_USER ? broker.auth.apiKey(tenant, password) : namedLogin(conn, tenant, user, password);
  check.then(
    (identity) => {
      if (conn.state === 'connecting') {
        if (identity) admit(conn, packet, identity);
        else failedLogin(conn, RC.BAD_USER_NAME_OR_PASSWORD, 'bad user name or password');
      }
      // Frames pipelined behind CONNECT waited while input was paused; after CONNACK they run, in order.
      conn.resume();
    },
    (err: unknown) => {
      broker.log.error({ err }, 'MQTT authentication failed');
      refuse(conn, RC.SERVER_UNAVAILABLE, 'authentication is unavailable');
      conn.resume();
    },
  );
};

/** A device by id and secret, else an MQTT user by name and secret (the two never share a name in a tenant). */
async function namedLogin(
  conn: Connection,
  tenant: string,
  name: string,
  secret: string,
): Promise<Identity | undefined> {
  return (
    (await conn.broker.auth.device(tenant, name, secret)) ??
    (await conn.broker.auth.user(tenant, name, secret))
  );
}

/** Refused credentials count towards the address's failure limit, like every failed login. */
function failedLogin(conn: Connection, rc5: number, reason: string): void {
  conn.broker.authFailures.fail(conn.meta.address);
  conn.broker.metrics.authFailures.inc();
  refuse(conn, rc5, reason);
}

/**
 * No user name and no password: a client of the anonymous listener when
 * `mqtt.allowAnonymous` is on (docs/mqtt-users.md), with the configured
 * tenant and rules; otherwise Not Authorized (0x87, 3.1.1 return code 5).
 */
function connectAnonymous(conn: Connection, packet: IConnectPacket): void {
  const anonymous = conn.broker.anonymous;
  if (!anonymous) {
    failedLogin(conn, RC.NOT_AUTHORIZED, 'anonymous clients are not allowed: give a user name and password');
    return;
  }
  admit(conn, packet, {
    kind: 'user',
    tenant: anonymous.tenant,
    id: '',
    anonymous: true,
    acl: anonymous.acl,
    sys: 'tenant',
  });
}

/** Client id rules per kind of client, then the session. */
function admit(conn: Connection, packet: IConnectPacket, identity: Identity): void {
  const version = conn.protocolVersion;
  let clientId = packet.clientId;
  let assigned = false;
  if (identity.kind === 'device') {
    // A device's client id is its device id; an empty one is assigned that id.
    if (clientId === '') {
      clientId = identity.id;
      assigned = version === 5;
    } else if (clientId !== identity.id) {
      refuse(conn, RC.CLIENT_IDENTIFIER_NOT_VALID, 'client id must equal the device id');
      return;
    }
  } else if (clientId === '') {
    if (version !== 5 && !packet.clean) {
      refuse(conn, RC.CLIENT_IDENTIFIER_NOT_VALID, 'empty client id needs a clean session'); // [MQTT-3.1.3-8]
      return;
    }
    clientId = `auto-${randomBytes(8).toString('hex')}`;
    assigned = version === 5;
  }
  accept(conn, packet, identity, clientId, assigned);
}

function accept(
  conn: Connection,
  packet: IConnectPacket,
  identity: Identity,
  clientId: string,
  assigned: boolean,
): void {
  const broker = conn.broker;
  const cfg = broker.config;
  // A will is a publish made later on the client's behalf: the same ACL applies, checked now (as Mosquitto does).
  if (packet.will && !mayPublish(identity, clientId, packet.will.topic)) {
    broker.metrics.denied.inc({ action: 'publish' });
    refuse(conn, RC.NOT_AUTHORIZED, `not allowed to publish the will topic ${packet.will.topic}`);
    return;
  }
  const v5 = conn.protocolVersion === 5;
  const props = packet.properties ?? {};
  const clean = packet.clean !== false;

  // MQTT 3.1.1 persistent sessions last as long as the longest we allow.
  const asked = v5 ? (props.sessionExpiryInterval ?? 0) : clean ? 0 : cfg.maxSessionExpiry;
  const expiry = Math.min(asked, cfg.maxSessionExpiry);
  const fresh = new Session(identity.tenant, clientId, identity, expiry);
  if (packet.will) {
    const w = packet.will;
    const payload = typeof w.payload === 'string' ? Buffer.from(w.payload) : w.payload;
    fresh.will = {
      delay: w.properties?.willDelayInterval ?? 0,
      message: {
        topic: w.topic,
        payload,
        qos: (w.qos ?? 0) as 0 | 1 | 2,
        retain: w.retain === true,
        properties: messageProperties(w.properties),
        receivedAt: Date.now(),
        from: fresh.key,
      },
    };
  }

  // Keep-alive: MQTT 5 clients are told to use ours when theirs is 0 or too long [MQTT-3.2.2-21].
  let keepalive = packet.keepalive ?? 0;
  let serverKeepAlive: number | undefined;
  if (v5 && (keepalive === 0 || keepalive > cfg.maxKeepAlive)) {
    keepalive = cfg.maxKeepAlive;
    serverKeepAlive = keepalive;
  }
  conn.keepalive = keepalive;
  if (v5) {
    conn.receiveMaximumOut = props.receiveMaximum ?? 65535;
    conn.maxPacketSizeOut = props.maximumPacketSize ?? Number.MAX_SAFE_INTEGER;
    conn.aliasMaxOut = props.topicAliasMaximum ?? 0;
    conn.problemInfo = props.requestProblemInformation !== false;
  }

  const opened = broker.openSession(conn, fresh, clean);
  if (!opened) {
    refuse(conn, RC.CLIENT_IDENTIFIER_NOT_VALID, 'this client id belongs to a device');
    return;
  }
  const { session, present } = opened;
  conn.state = 'connected';
  conn.traffic = broker.traffic.of(identity.tenant);
  if (v5) {
    // Retain, wildcard, subscription identifier and shared subscription support are
    // implied by their absence (§3.2.2.3): leaving them out keeps CONNACK within a
    // small client Maximum Packet Size, where it would otherwise not be sent [MQTT-3.1.2-24].
    const p: NonNullable<IConnackPacket['properties']> = {
      receiveMaximum: cfg.receiveMaximum,
      maximumPacketSize: cfg.maxPacketSize,
      topicAliasMaximum: cfg.topicAliasMaximum,
    };
    if (serverKeepAlive !== undefined) p.serverKeepAlive = serverKeepAlive;
    if (assigned) p.assignedClientIdentifier = clientId;
    if (expiry !== asked) p.sessionExpiryInterval = expiry;
    conn.write({ cmd: 'connack', sessionPresent: present, reasonCode: RC.SUCCESS, properties: p });
  } else {
    conn.write({ cmd: 'connack', sessionPresent: present, returnCode: 0 });
  }
  broker.log.debug(
    { client: clientId, tenant: identity.tenant, version: conn.protocolVersion },
    'MQTT client connected',
  );
  broker.sessionReady(conn, session);
}
