import { isSysTopic } from '../../core/topic.js';
import type { Broker } from './broker.js';
import type { Message } from './message.js';
import { RetainedIndex } from './retained-index.js';
import type { Session, StoredSubscription } from './session.js';
import { type Subscription, type SubscriptionOptions, TopicTree } from './topic-tree.js';

interface Aggregate {
  session: Session | undefined;
  qos: 0 | 1 | 2;
  retainAsPublished: boolean;
  ids: number[];
}

/**
 * The namespace of platform-wide `$SYS` figures, seen by MQTT users whose
 * `sys` is `platform` (not a valid tenant id, so no tenant can reach it).
 */
export const PLATFORM_NAMESPACE = '\u0000platform';

/** No subscription identifiers: shared, never mutated (an aggregate gets its own array on the first id). */
const NO_IDS: readonly number[] = Object.freeze([]);

/**
 * Routing inside each tenant's own namespace: one subscription tree and one
 * retained index per tenant, so no topic of one tenant can ever match a
 * subscription of another (ARCHITECTURE §4).
 */
export class Router {
  readonly #broker: Broker;
  readonly #trees = new Map<string, TopicTree<Session>>();
  readonly #retained = new Map<string, RetainedIndex<Message>>();
  readonly #shareCursor = new Map<string, number>();
  // Reused per publish: routing is synchronous, so one scratch map, one pool
  // of aggregates and one pair of visitors suffice (no garbage per message).
  readonly #targets = new Map<Session, Aggregate>();
  readonly #pool: Aggregate[] = [];
  #poolUsed = 0;
  #tenant = '';
  #message: Message | undefined;
  readonly #visit = (sub: Subscription<Session>): void => this.#add(sub);
  readonly #visitGroup = (group: string, members: readonly Subscription<Session>[]): void => {
    const chosen = this.#pickShared(this.#tenant, group, members);
    if (chosen) this.#add(chosen);
  };

  constructor(broker: Broker) {
    this.#broker = broker;
  }

  #tree(tenant: string): TopicTree<Session> {
    let t = this.#trees.get(tenant);
    if (!t) {
      t = new TopicTree<Session>();
      this.#trees.set(tenant, t);
    }
    return t;
  }

  retainedIndex(tenant: string): RetainedIndex<Message> {
    let r = this.#retained.get(tenant);
    if (!r) {
      r = new RetainedIndex<Message>();
      this.#retained.set(tenant, r);
    }
    return r;
  }

  /** Forgets a tenant's retained messages (tenant deleted); returns their topics. */
  dropRetained(tenant: string): string[] {
    const index = this.#retained.get(tenant);
    this.#retained.delete(tenant);
    return index ? [...index.entries()].map(([topic]) => topic) : [];
  }

  /** Where a session's filter lives: its tenant, or the platform's `$SYS` for platform-wide users. */
  namespaceOf(session: Session, filter: string): string {
    const who = session.identity;
    return who.kind === 'user' && who.sys === 'platform' && filter.startsWith('$SYS/')
      ? PLATFORM_NAMESPACE
      : session.tenant;
  }

  subscribe(session: Session, filter: string, options: SubscriptionOptions, group?: string): boolean {
    return this.#tree(this.namespaceOf(session, filter)).add(session, filter, options, group);
  }

  unsubscribe(session: Session, filter: string, group?: string): boolean {
    return this.#trees.get(this.namespaceOf(session, filter))?.remove(session, filter, group) ?? false;
  }

  /** The session's subscriptions as stored (the trees are the one record of them). */
  subscriptionsOf(session: Session): StoredSubscription[] {
    const subs = this.#trees.get(session.tenant)?.subscriptionsOf(session) ?? [];
    const platform = this.#trees.get(PLATFORM_NAMESPACE)?.subscriptionsOf(session) ?? [];
    return [...subs, ...platform].map(({ subscriber: _s, ...sub }) => sub);
  }

  unsubscribeAll(session: Session): void {
    this.#trees.get(session.tenant)?.removeAll(session);
    this.#trees.get(PLATFORM_NAMESPACE)?.removeAll(session);
  }

  /** Subscriptions in a namespace (for `$SYS`). */
  subscriptionCount(namespace: string): number {
    return this.#trees.get(namespace)?.size ?? 0;
  }

  /** Namespaces with subscriptions: the tenants that have someone listening, and the platform's. */
  namespaces(): IterableIterator<string> {
    return this.#trees.keys();
  }

  /**
   * Routes a message: stores or clears it if retained [MQTT-3.3.1-5/6], then
   * delivers once per subscribing session with the highest QoS of its
   * matching subscriptions and all their identifiers [MQTT-3.3.4-2/3], and
   * once per share group [MQTT-4.8.2]. Returns the number of receivers.
   */
  publish(tenant: string, message: Message): number {
    if (message.retain) {
      const index = this.retainedIndex(tenant);
      if (message.payload.length === 0) index.delete(message.topic);
      else index.set(message.topic, message);
      // `$` topics are the broker's own ($SYS), published afresh after a restart.
      if (!isSysTopic(message.topic))
        this.#broker.persistence.retained(
          tenant,
          message.topic,
          message.payload.length === 0 ? undefined : message,
        );
    }
    const tree = this.#trees.get(tenant);
    if (!tree) return 0;
    const targets = this.#targets;
    this.#tenant = tenant;
    this.#message = message;
    this.#poolUsed = 0;
    tree.match(message.topic, this.#visit, this.#visitGroup);
    this.#message = undefined;
    // The pool holds the targets in match order (no Map entry arrays to allocate).
    const count = this.#poolUsed;
    for (let i = 0; i < count; i++) {
      const agg = this.#pool[i] as Aggregate;
      const qos = Math.min(message.qos, agg.qos) as 0 | 1 | 2;
      this.#broker.deliverTo(agg.session as Session, {
        message,
        qos,
        retain: agg.retainAsPublished ? message.retain : false,
        subscriptionIds: agg.ids,
      });
      agg.session = undefined;
    }
    targets.clear();
    return count;
  }

  #add(sub: Subscription<Session>): void {
    const message = this.#message as Message;
    if (sub.noLocal && message.from === sub.subscriber.key) return; // [MQTT-3.8.3-3]
    const targets = this.#targets;
    const agg = targets.get(sub.subscriber);
    if (!agg) {
      let fresh = this.#pool[this.#poolUsed];
      if (fresh === undefined) {
        fresh = { session: undefined, qos: 0, retainAsPublished: false, ids: NO_IDS as number[] };
        this.#pool.push(fresh);
      }
      this.#poolUsed++;
      fresh.session = sub.subscriber;
      fresh.qos = sub.qos;
      fresh.retainAsPublished = sub.retainAsPublished;
      // The ids array travels with the delivered message, so it is never reused.
      fresh.ids = sub.id === undefined ? (NO_IDS as number[]) : [sub.id];
      targets.set(sub.subscriber, fresh);
      return;
    }
    if (sub.qos > agg.qos) agg.qos = sub.qos;
    agg.retainAsPublished ||= sub.retainAsPublished;
    if (sub.id !== undefined && !agg.ids.includes(sub.id)) {
      agg.ids = agg.ids === NO_IDS ? [sub.id] : [...agg.ids, sub.id];
    }
  }

  /** Round robin over the group, preferring members whose client is connected. */
  #pickShared(
    tenant: string,
    group: string,
    members: readonly Subscription<Session>[],
  ): Subscription<Session> | undefined {
    const key = `${tenant}\u0000${group}`;
    const start = this.#shareCursor.get(key) ?? 0;
    this.#shareCursor.set(key, start + 1);
    for (let i = 0; i < members.length; i++) {
      const m = members[(start + i) % members.length] as Subscription<Session>;
      if (m.subscriber.connection?.state === 'connected') return m;
    }
    return members[start % members.length];
  }
}
