import type { Logger } from '../../core/logger.js';
import type { MqttQueuedRecord, MqttStore } from '../../store/index.js';
import type { Identity } from './identity.js';
import type { Message } from './message.js';
import { type Pending, Session, type StoredSubscription } from './session.js';

/**
 * Keeps what must survive a broker restart (ARCHITECTURE §1, issue #3):
 * persistent sessions with their subscriptions, will and undelivered QoS
 * 1/2 messages, and retained messages. Writes happen at session edges
 * (connect, subscribe, disconnect) and for messages queued while a client is
 * away (batched per tick), never per routed message of an online client.
 * A storage failure is logged; routing goes on from memory.
 */
export class Persistence {
  readonly #store: MqttStore;
  readonly #log: Logger;
  #appends: { tenant: string; clientId: string; item: MqttQueuedRecord }[] = [];
  #flushScheduled = false;

  constructor(store: MqttStore, log: Logger) {
    this.#store = store;
    this.#log = log;
  }

  #run(what: string, p: Promise<unknown>): void {
    p.catch((err: unknown) => this.#log.error({ err }, `MQTT persistence: ${what} failed`));
  }

  /** Loads stored sessions (all offline now) and retained messages. */
  async load(): Promise<{
    sessions: { session: Session; disconnectedAt: number; subscriptions: StoredSubscription[] }[];
    retained: { tenant: string; message: Message }[];
  }> {
    const sessions = (await this.#store.loadSessions()).map(({ session: r, messages }) => {
      const s = new Session(r.tenant, r.clientId, r.identity as Identity, r.expiryInterval);
      if (r.will) s.will = { delay: r.will.delay, message: r.will.message as Message };
      for (const m of messages) {
        if (m.packetId !== undefined && m.qos > 0) {
          s.inflight.set(m.packetId, {
            message: m.message as Message,
            qos: m.qos as 1 | 2,
            retain: m.retain,
            subscriptionIds: m.subscriptionIds,
            state: m.state ?? 'publish',
          });
        } else {
          s.queue.push({
            message: m.message as Message,
            qos: m.qos,
            retain: m.retain,
            subscriptionIds: m.subscriptionIds,
          });
        }
      }
      return {
        session: s,
        disconnectedAt: r.disconnectedAt ?? Date.now(),
        subscriptions: r.subscriptions as StoredSubscription[],
      };
    });
    const retained = (await this.#store.loadRetained()).map((r) => ({
      tenant: r.tenant,
      message: r.message as Message,
    }));
    return { sessions, retained };
  }

  /** The session's record with everything it still owes its client. */
  save(session: Session, withMessages: boolean, subscriptions: readonly StoredSubscription[]): void {
    if (session.expiryInterval === 0) return;
    // The snapshot supersedes appends of this session still waiting for the batch.
    this.#appends = this.#appends.filter(
      (a) => a.tenant !== session.tenant || a.clientId !== session.clientId,
    );
    const messages: MqttQueuedRecord[] = [];
    if (withMessages) {
      for (const [packetId, o] of session.inflight) {
        messages.push({
          message: o.message,
          qos: o.qos,
          retain: o.retain,
          subscriptionIds: o.subscriptionIds,
          packetId,
          state: o.state,
        });
      }
      for (const p of session.queue) messages.push(p);
    }
    this.#run(
      'save session',
      this.#store.saveSession(
        {
          tenant: session.tenant,
          clientId: session.clientId,
          identity: session.identity,
          expiryInterval: session.expiryInterval,
          disconnectedAt: session.connection ? null : (session.disconnectedAt ?? Date.now()),
          subscriptions,
          will: session.will ? { delay: session.will.delay, message: session.will.message } : null,
        },
        messages,
      ),
    );
  }

  /** A message queued for a client that is away: appended in the next batch. */
  queued(session: Session, item: Pending): void {
    if (session.expiryInterval === 0 || item.qos === 0) return;
    this.#appends.push({ tenant: session.tenant, clientId: session.clientId, item });
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.#flushScheduled = false;
    if (this.#appends.length === 0) return;
    const batch = this.#appends;
    this.#appends = [];
    this.#run('append messages', this.#store.appendMessages(batch));
  }

  /** At shutdown: pending appends are covered by the snapshots that follow. */
  dropPending(): void {
    this.#appends = [];
  }

  ended(session: Session): void {
    this.#run('delete session', this.#store.deleteSession(session.tenant, session.clientId));
  }

  retained(tenant: string, topic: string, message: Message | undefined): void {
    this.#run('retained message', this.#store.setRetained(tenant, topic, message));
  }
}
