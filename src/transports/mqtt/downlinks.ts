import type { Bus } from '../../core/bus.js';
import type { Downlink } from '../../core/envelope.js';
import { topicMatches } from '../../core/topic.js';
import type { Broker } from './broker.js';
import type { Message } from './message.js';
import { type Session, sessionKey } from './session.js';

/**
 * What the platform sends to devices through the broker (ARCHITECTURE §2):
 * desired twin state, commands, rule publishes, and the broker's word back
 * on commands (`command-delivery`: sent, delivered, refused, unreachable,
 * ready). Kept apart from the broker's session lifecycle.
 */
export class Downlinks {
  readonly #broker: Broker;
  readonly #bus: Bus;

  constructor(broker: Broker, bus: Bus) {
    this.#broker = broker;
    this.#bus = bus;
  }

  /**
   * Platform → device (ARCHITECTURE §2). Desired state is the retained
   * message of `devices/{id}/twin/desired` (QoS 1): a device gets it when it
   * subscribes and after every change, queued while its session sleeps.
   * `silent` data only replaces the stored copy; `data: null` (device
   * deleted) drops it.
   */
  handle(d: Downlink): void {
    if (d.kind === 'command') {
      this.#sendCommand(d);
      return;
    }
    if (d.kind === 'publish') {
      // A rule's publish action: a message in the tenant's namespace, from the platform.
      const p = d.data as { topic: string; payload: string; qos: 0 | 1; retain: boolean };
      this.#broker.router.publish(d.tenant, {
        topic: p.topic,
        payload: Buffer.from(p.payload),
        qos: p.qos,
        retain: p.retain,
        properties: {},
        receivedAt: Date.now(),
      });
      return;
    }
    if (d.kind !== 'desired') return;
    const topic = `devices/${d.device}/twin/desired`;
    if (d.data === null) {
      this.#broker.router.retainedIndex(d.tenant).delete(topic);
      this.#broker.persistence.retained(d.tenant, topic, undefined);
      return;
    }
    const { silent, ...doc } = d.data as { silent?: boolean };
    const message: Message = {
      topic,
      payload: Buffer.from(JSON.stringify(doc)),
      qos: 1,
      retain: true,
      properties: { contentType: 'application/json' },
      receivedAt: Date.now(),
    };
    if (!silent) {
      this.#broker.router.publish(d.tenant, message);
      return;
    }
    // A refreshed copy (same version, new delta) for whoever subscribes next; nothing is sent now.
    this.#broker.router.retainedIndex(d.tenant).set(topic, message);
    this.#broker.persistence.retained(d.tenant, topic, message);
  }

  /**
   * A command goes to `devices/{id}/commands/{cmdId}` (QoS 1) only while the
   * device is connected and subscribed to it; otherwise the command service
   * keeps it queued and offers it again when the device is `ready`. MQTT 5
   * devices get the result topic as Response Topic and the command id as
   * Correlation Data, so a request/response client answers correctly.
   */
  #sendCommand(d: Downlink): void {
    const cmd = d.data as { id: string; name: string; params: unknown; expiresAt: number };
    const topic = `devices/${d.device}/commands/${cmd.id}`;
    const session = this.#broker.sessions.get(sessionKey(d.tenant, d.device));
    const listening =
      session?.identity.kind === 'device' &&
      session.connection?.state === 'connected' &&
      this.#broker.router.subscriptionsOf(session).some((s) => !s.group && topicMatches(s.filter, topic));
    const ids = { tenant: d.tenant, device: d.device, id: cmd.id };
    if (!listening) {
      this.#bus.publish('command-delivery', { kind: 'unreachable', ...ids });
      return;
    }
    const now = Date.now();
    this.#broker.router.publish(d.tenant, {
      topic,
      payload: Buffer.from(JSON.stringify({ id: cmd.id, name: cmd.name, params: cmd.params })),
      qos: 1,
      retain: false,
      properties: {
        contentType: 'application/json',
        responseTopic: `${topic}/result`,
        correlationData: Buffer.from(cmd.id),
        messageExpiryInterval: Math.max(1, Math.ceil((cmd.expiresAt - now) / 1000)),
      },
      receivedAt: now,
    });
    this.#bus.publish('command-delivery', { kind: 'sent', ...ids });
  }

  /** A device subscribed to (or resumed a session with) its commands topic: queued commands can go now. */
  commandsReady(session: Session): void {
    const who = session.identity;
    if (who.kind !== 'device') return;
    const probe = `devices/${who.id}/commands/probe`;
    if (!this.#broker.router.subscriptionsOf(session).some((s) => !s.group && topicMatches(s.filter, probe)))
      return;
    this.#bus.publish('command-delivery', { kind: 'ready', tenant: session.tenant, device: who.id });
  }

  /** The device acknowledged a message: for one of its commands, that is delivery (or refusal, reason >= 0x80). */
  acknowledged(session: Session, topic: string, reasonCode = 0): void {
    const who = session.identity;
    if (who.kind !== 'device') return;
    const prefix = `devices/${who.id}/commands/`;
    if (!topic.startsWith(prefix)) return;
    const id = topic.slice(prefix.length);
    if (id.includes('/')) return;
    const ids = { tenant: session.tenant, device: who.id, id };
    if (reasonCode >= 0x80) {
      const reason = `refused by the device (MQTT reason code 0x${reasonCode.toString(16)})`;
      this.#bus.publish('command-delivery', { kind: 'refused', ...ids, reason });
    } else this.#bus.publish('command-delivery', { kind: 'delivered', ...ids });
  }
}
