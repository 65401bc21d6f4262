import type { Duplex } from 'node:stream';
import type { Bus, RegistryChange } from '../../core/bus.js';
import type { Uplink } from '../../core/envelope.js';
import { FailureThrottle } from '../../core/failure-throttle.js';
import type { Logger } from '../../core/logger.js';
import { TokenBucket } from '../../core/token-bucket.js';
import { type AclRule, TopicAcl } from '../../core/topic-acl.js';
import { mayReceive } from './acl.js';
import type { MqttAuthPort } from './auth-port.js';
import type { MqttConfig } from './config.js';
import { Connection, type ConnectionMeta } from './connection.js';
import { deliver, drain, resend } from './delivery.js';
import { Downlinks } from './downlinks.js';
import { FlushQueue } from './flush-queue.js';
import { FrameParser } from './frame-parser.js';
import type { Identity } from './identity.js';
import type { MqttMetrics } from './metrics.js';
import type { Persistence } from './persistence.js';
import { RC } from './reason-codes.js';
import { Router } from './router.js';
import type { Session } from './session.js';
import { SysTopics } from './sys-topics.js';
import { TrafficMeter } from './traffic.js';

export interface BrokerDeps {
  readonly config: MqttConfig;
  readonly auth: MqttAuthPort;
  readonly bus: Bus;
  readonly log: Logger;
  readonly metrics: MqttMetrics;
  readonly persistence: Persistence;
}

/**
 * The broker's heart: connections, sessions and their lifecycle (takeover,
 * will, expiry), and the per-tenant router. Protocol handling per packet is
 * in handlers/; routing in router.ts; sending in delivery.ts.
 */
export class Broker {
  readonly config: MqttConfig;
  readonly auth: MqttAuthPort;
  readonly log: Logger;
  readonly metrics: MqttMetrics;
  readonly router: Router;
  readonly persistence: Persistence;
  readonly sessions = new Map<string, Session>();
  readonly connections = new Set<Connection>();
  readonly authFailures: FailureThrottle;
  readonly flushQueue = new FlushQueue();
  readonly frameParser = new FrameParser();
  readonly downlinks: Downlinks;
  readonly traffic = new TrafficMeter();
  readonly sys = new SysTopics(this);
  /** The anonymous listener's tenant and rules; undefined when `mqtt.allowAnonymous` is off. */
  readonly anonymous: { readonly tenant: string; readonly acl: TopicAcl } | undefined;
  readonly #bus: Bus;
  readonly #connectRates = new Map<string, TokenBucket>();
  #ticker: NodeJS.Timeout | undefined;
  #stopping = false;

  constructor(deps: BrokerDeps) {
    this.config = deps.config;
    this.auth = deps.auth;
    this.log = deps.log;
    this.metrics = deps.metrics;
    this.#bus = deps.bus;
    this.persistence = deps.persistence;
    this.router = new Router(this);
    this.anonymous = deps.config.allowAnonymous
      ? { tenant: deps.config.anonymous.tenant, acl: new TopicAcl(deps.config.anonymous.rules) }
      : undefined;
    this.authFailures = new FailureThrottle(
      { maxFailures: deps.config.maxAuthFailures, windowMs: deps.config.authFailureWindowSeconds * 1000 },
      { now: () => Date.now() },
    );
    deps.bus.subscribe('mqtt', 'registry', (change) => this.#onRegistryChange(change));
    this.downlinks = new Downlinks(this, deps.bus);
    deps.bus.subscribe('mqtt', 'downlink', (d) => this.downlinks.handle(d));
    this.#ticker = setInterval(() => this.#tick(), 1000);
    this.#ticker.unref();
  }

  /** Brings back stored sessions (offline, with their timers) and retained messages after a restart. */
  async restore(): Promise<void> {
    const { sessions, retained } = await this.persistence.load();
    for (const { tenant, message } of retained) this.router.retainedIndex(tenant).set(message.topic, message);
    const now = Date.now();
    for (const { session, disconnectedAt, subscriptions } of sessions) {
      const identity = this.#revive(session.identity);
      if (!identity) {
        this.persistence.ended(session); // an anonymous session, and anonymous access is now off
        continue;
      }
      session.identity = identity;
      const left =
        session.expiryInterval === 0xffffffff
          ? Number.POSITIVE_INFINITY
          : disconnectedAt + session.expiryInterval * 1000 - now;
      session.disconnectedAt = disconnectedAt;
      this.sessions.set(session.key, session);
      for (const sub of subscriptions) this.router.subscribe(session, sub.filter, sub, sub.group);
      if (left <= 0) {
        this.endSession(session, true); // expired while the broker was down: its will is due now
        continue;
      }
      if (session.will) {
        const wait = Math.max(
          0,
          disconnectedAt + Math.min(session.will.delay, session.expiryInterval) * 1000 - now,
        );
        session.willTimer = setTimeout(() => this.#publishWill(session), wait);
        session.willTimer.unref();
      }
      if (Number.isFinite(left)) {
        session.expiryTimer = setTimeout(() => this.endSession(session, true), left);
        session.expiryTimer.unref();
      }
    }
    if (sessions.length || retained.length)
      this.log.info({ sessions: sessions.length, retained: retained.length }, 'MQTT state restored');
  }

  /** Stored identities are JSON: an MQTT user's rules become a TopicAcl again; anonymous ones take today's rules. */
  #revive(stored: Identity): Identity | undefined {
    if (stored.kind !== 'user') return stored;
    if (stored.anonymous) return this.anonymous && { ...stored, acl: this.anonymous.acl };
    const rules = (stored.acl as unknown as { rules?: AclRule[] }).rules ?? [];
    return { ...stored, acl: new TopicAcl(rules) };
  }

  /** Takes a new network connection (TCP, TLS or WebSocket stream). */
  accept(stream: Duplex, meta: ConnectionMeta): void {
    if (this.#stopping) {
      stream.destroy();
      return;
    }
    const conn = new Connection(this, stream, meta);
    this.connections.add(conn);
    this.metrics.connections.inc();
  }

  /** Per-address connection rate: a reconnect storm from one place must not starve the rest. */
  connectionAllowed(address: string): boolean {
    const now = Date.now();
    let bucket = this.#connectRates.get(address);
    if (!bucket) {
      const rate = this.config.connectionsPerSecond;
      bucket = new TokenBucket(rate, rate * 10, now);
      this.#connectRates.set(address, bucket);
    }
    return bucket.tryTake(now);
  }

  /**
   * Binds an authenticated connection to its session: takes over a live one
   * [MQTT-3.1.4-3], resumes a stored one unless clean start, or creates it.
   * Returns whether a session was present.
   */
  openSession(
    conn: Connection,
    fresh: Session,
    cleanStart: boolean,
  ): { session: Session; present: boolean } | undefined {
    const before = this.sessions.get(fresh.key);
    // Device ids are reserved for devices: a program or user cannot take over a device's session.
    if (before && before.identity.kind === 'device' && fresh.identity.kind !== 'device') return undefined;
    if (before?.connection) {
      before.connection.close(RC.SESSION_TAKEN_OVER, 'another connection took over this session');
    }
    // Closing may have ended it (expiry 0): look again.
    const existing = this.sessions.get(fresh.key);
    if (existing) this.#cancelTimers(existing);
    // A device never inherits a program's session state under its id, nor the other way round.
    if (existing && existing.identity.kind !== fresh.identity.kind) cleanStart = true;
    let session = fresh;
    let present = false;
    if (existing && !cleanStart) {
      existing.identity = fresh.identity;
      existing.expiryInterval = fresh.expiryInterval;
      existing.will = fresh.will;
      session = existing;
      present = true;
    } else if (existing) {
      this.endSession(existing, false);
    }
    session.connection = conn;
    session.disconnectedAt = undefined;
    conn.session = session;
    this.sessions.set(session.key, session);
    if (session.expiryInterval > 0) this.saveSession(session, false);
    else if (present || existing) this.persistence.ended(session);
    return { session, present };
  }

  /** After CONNACK: resend what was in flight, then the queue. */
  sessionReady(conn: Connection, session: Session): void {
    resend(conn, session);
    drain(session, Date.now());
    this.#emitStatus(session, 'connected');
    this.downlinks.commandsReady(session);
  }

  onConnectionClosed(conn: Connection, reason: string, wasConnected: boolean): void {
    this.connections.delete(conn);
    this.metrics.connections.dec();
    const session = conn.session;
    if (!session || session.connection !== conn) return;
    session.connection = undefined;
    session.disconnectedAt = Date.now();
    this.log.debug({ client: session.clientId, tenant: session.tenant, reason }, 'MQTT client disconnected');
    if (wasConnected) this.#emitStatus(session, 'disconnected');
    // On shutdown sessions and wills wait for the next start (they are persisted).
    if (this.#stopping) return;
    this.#scheduleWill(session);
    if (session.expiryInterval === 0) {
      this.endSession(session, true);
      return;
    }
    this.saveSession(session, true);
    if (session.expiryInterval !== 0xffffffff) {
      session.expiryTimer = setTimeout(() => this.endSession(session, true), session.expiryInterval * 1000);
      session.expiryTimer.unref();
    }
  }

  /** Removes a session and its subscriptions; a pending will is published when it ends [MQTT-3.1.3-9]. */
  endSession(session: Session, publishWill: boolean): void {
    if (this.sessions.get(session.key) !== session) return;
    this.sessions.delete(session.key);
    this.router.unsubscribeAll(session);
    this.persistence.ended(session);
    // A will still held is one not yet published (publishing clears it).
    if (publishWill && session.will) this.#publishWill(session);
    this.#cancelTimers(session);
  }

  #scheduleWill(session: Session): void {
    const will = session.will;
    if (!will) return;
    const delay = Math.min(will.delay, session.expiryInterval);
    if (delay === 0) {
      this.#publishWill(session);
      return;
    }
    session.willTimer = setTimeout(() => this.#publishWill(session), delay * 1000);
    session.willTimer.unref();
  }

  #publishWill(session: Session): void {
    const will = session.will;
    session.will = undefined;
    if (session.willTimer) clearTimeout(session.willTimer);
    session.willTimer = undefined;
    if (will) this.router.publish(session.tenant, { ...will.message, receivedAt: Date.now() });
  }

  #cancelTimers(session: Session): void {
    if (session.willTimer) clearTimeout(session.willTimer);
    if (session.expiryTimer) clearTimeout(session.expiryTimer);
    session.willTimer = undefined;
    session.expiryTimer = undefined;
  }

  /** Denied publishes and subscribes per device (tenant/id); kept in memory, not yet exposed by the API. */
  readonly denied = new Map<string, { publish: number; subscribe: number }>();

  noteDenied(session: Session, action: 'publish' | 'subscribe', topic: string): void {
    const key = `${session.tenant}/${session.identity.id}`;
    const entry = this.denied.get(key) ?? { publish: 0, subscribe: 0 };
    entry[action]++;
    this.denied.set(key, entry);
    this.log.debug({ client: session.clientId, tenant: session.tenant, action, topic }, 'MQTT access denied');
  }

  /** Stores a persistent session with the subscriptions the router holds for it. */
  saveSession(session: Session, withMessages: boolean): void {
    this.persistence.save(session, withMessages, this.router.subscriptionsOf(session));
  }

  /** Queue or send to one session; drops are counted. Users get only what their rules let them read. */
  deliverTo(session: Session, item: Parameters<typeof deliver>[1]): void {
    if (!mayReceive(session.identity, session.clientId, item.message.topic)) return;
    const queuedBefore = session.queue.length;
    deliver(session, item, this.config.maxQueuedMessages, this.#onDrop);
    if (!session.connection && session.queue.length > queuedBefore) this.persistence.queued(session, item);
  }

  readonly #onDrop = (reason: 'queue_full' | 'slow_client'): void => {
    this.metrics.dropped.inc({ reason });
  };

  /** Hands device data to the platform (telemetry, events) as an Uplink on the bus. */
  emitUplink(uplink: Uplink): void {
    this.#bus.publish('uplink', uplink);
  }

  #emitStatus(session: Session, kind: 'connected' | 'disconnected'): void {
    if (session.identity.kind !== 'device') return;
    this.#bus.publish('uplink', {
      kind,
      tenant: session.tenant,
      device: session.identity.id,
      ts: Date.now(),
      data: null,
      via: 'mqtt',
    });
  }

  /** A revoked credential, deleted device or key ends its live sessions at once. */
  #onRegistryChange(change: RegistryChange): void {
    if (change.kind === 'tenant-deleted') {
      this.traffic.forget(change.tenant);
      this.sys.forget(change.tenant);
      // Nothing of a deleted tenant may reach a tenant created later under the same id.
      for (const topic of this.router.dropRetained(change.tenant)) {
        this.persistence.retained(change.tenant, topic, undefined);
      }
    }
    for (const session of this.sessions.values()) {
      const who = session.identity;
      if (who.tenant !== change.tenant) continue;
      let end = false;
      if (change.kind === 'tenant-deleted') end = true;
      else if (who.kind === 'device' && 'device' in change && change.device === who.id) {
        end =
          change.kind === 'device-deleted' ||
          (change.kind === 'device-updated' && !change.enabled) ||
          (change.kind === 'credential-revoked' && change.credential === who.credential);
      } else if (who.kind === 'apikey' && change.kind === 'apikey-revoked') end = change.apikey === who.id;
      else if (who.kind === 'user' && !who.anonymous && 'username' in change && change.username === who.id) {
        if (change.kind === 'mqtt-user-updated') {
          // New rules apply to the live session at once: every delivery is checked against them.
          session.identity = { ...who, acl: new TopicAcl(change.rules), sys: change.sys };
          continue;
        }
        end = true; // deleted, or its secret rotated: the session used the old one
      }
      if (!end) continue;
      session.connection?.close(RC.NOT_AUTHORIZED, 'credentials revoked');
      this.endSession(session, false);
    }
  }

  /** Once a second: keep-alive [MQTT-3.1.2-24] (1.5 × the interval), CONNECT timeout, stale rate entries. */
  #tick(): void {
    const now = Date.now();
    for (const conn of this.connections) {
      const idle = now - conn.lastPacketAt;
      if (conn.state === 'new' && idle > this.config.connectTimeout * 1000) conn.stream.destroy();
      else if (conn.state === 'connected' && conn.keepalive > 0 && idle > conn.keepalive * 1500) {
        conn.close(RC.KEEP_ALIVE_TIMEOUT, 'keep alive timeout');
      }
    }
    if (this.#connectRates.size > 10_000) this.#connectRates.clear();
  }

  /** Closes every connection with "server shutting down"; wills of persistent sessions stay pending. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#ticker) clearInterval(this.#ticker);
    this.sys.stop();
    this.#bus.unsubscribeAll('mqtt');
    for (const conn of [...this.connections]) conn.close(RC.SERVER_SHUTTING_DOWN, 'server shutting down');
    this.persistence.dropPending();
    for (const s of this.sessions.values()) {
      this.#cancelTimers(s);
      this.saveSession(s, true);
    }
  }
}
