import type { Broker } from './broker.js';
import type { Message } from './message.js';
import { RetainedIndex } from './retained-index.js';
import type { Session, StoredSubscription } from './session.js';
import { type Subscription, type SubscriptionOptions, TopicTree } from './topic-tree.js';

interface Aggregate {
  qos: 0 | 1 | 2;
  retainAsPublished: boolean;
  ids: number[];
}

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
  // Reused per publish: routing is synchronous, so one scratch map suffices.
  readonly #targets = new Map<Session, Aggregate>();

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

  subscribe(session: Session, filter: string, options: SubscriptionOptions, group?: string): boolean {
    return this.#tree(session.tenant).add(session, filter, options, group);
  }

  unsubscribe(session: Session, filter: string, group?: string): boolean {
    return this.#trees.get(session.tenant)?.remove(session, filter, group) ?? false;
  }

  /** The session's subscriptions as stored (the tree is the one record of them). */
  subscriptionsOf(session: Session): StoredSubscription[] {
    const subs = this.#trees.get(session.tenant)?.subscriptionsOf(session) ?? [];
    return subs.map(({ subscriber: _s, ...sub }) => sub);
  }

  unsubscribeAll(session: Session): void {
    this.#trees.get(session.tenant)?.removeAll(session);
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
      this.#broker.persistence.retained(
        tenant,
        message.topic,
        message.payload.length === 0 ? undefined : message,
      );
    }
    const tree = this.#trees.get(tenant);
    if (!tree) return 0;
    const targets = this.#targets;
    targets.clear();
    tree.match(
      message.topic,
      (sub) => this.#add(targets, sub, message),
      (group, members) => {
        const chosen = this.#pickShared(tenant, group, members);
        if (chosen) this.#add(targets, chosen, message);
      },
    );
    let count = 0;
    for (const [session, agg] of targets) {
      const qos = Math.min(message.qos, agg.qos) as 0 | 1 | 2;
      this.#broker.deliverTo(session, {
        message,
        qos,
        retain: agg.retainAsPublished ? message.retain : false,
        subscriptionIds: agg.ids,
      });
      count++;
    }
    targets.clear();
    return count;
  }

  #add(targets: Map<Session, Aggregate>, sub: Subscription<Session>, message: Message): void {
    if (sub.noLocal && message.from === sub.subscriber.key) return; // [MQTT-3.8.3-3]
    const agg = targets.get(sub.subscriber);
    if (!agg) {
      targets.set(sub.subscriber, {
        qos: sub.qos,
        retainAsPublished: sub.retainAsPublished,
        ids: sub.id === undefined ? [] : [sub.id],
      });
      return;
    }
    if (sub.qos > agg.qos) agg.qos = sub.qos;
    agg.retainAsPublished ||= sub.retainAsPublished;
    if (sub.id !== undefined && !agg.ids.includes(sub.id)) agg.ids.push(sub.id);
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
