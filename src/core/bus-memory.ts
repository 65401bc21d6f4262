import type { Bus, BusEvents, BusListener } from './bus.js';
import type { Logger } from './logger.js';

type AnyListener = (event: unknown) => void;

/** Synchronous in-process bus: a listener that throws is logged, never fatal to the publisher. */
export function createMemoryBus(log: Logger): Bus {
  const listeners = new Map<keyof BusEvents, { owner: string; fn: AnyListener }[]>();
  return {
    publish(topic, event) {
      const list = listeners.get(topic);
      if (!list) return;
      for (const l of list) {
        try {
          l.fn(event);
        } catch (err) {
          log.error({ err, topic, owner: l.owner }, 'bus listener failed');
        }
      }
    },
    subscribe<K extends keyof BusEvents>(owner: string, topic: K, listener: BusListener<K>) {
      const list = listeners.get(topic) ?? [];
      list.push({ owner, fn: listener as AnyListener });
      listeners.set(topic, list);
    },
    unsubscribeAll(owner) {
      for (const [topic, list] of listeners) {
        listeners.set(
          topic,
          list.filter((l) => l.owner !== owner),
        );
      }
    },
    async close() {
      listeners.clear();
    },
  };
}
