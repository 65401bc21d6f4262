import type { Downlink, Uplink } from './envelope.js';

/** What a change in the registry means to parts that cache or hold sessions. */
export type RegistryChange =
  | { readonly kind: 'device-deleted'; readonly tenant: string; readonly device: string }
  | {
      readonly kind: 'device-updated';
      readonly tenant: string;
      readonly device: string;
      readonly enabled: boolean;
    }
  | {
      readonly kind: 'credential-revoked';
      readonly tenant: string;
      readonly device: string;
      readonly credential: string;
    }
  | { readonly kind: 'tenant-deleted'; readonly tenant: string }
  | { readonly kind: 'apikey-revoked'; readonly tenant: string; readonly apikey: string };

/** The one event map of the platform (STYLE.md §5). */
export interface BusEvents {
  uplink: Uplink;
  downlink: Downlink;
  registry: RegistryChange;
}

export type BusListener<K extends keyof BusEvents> = (event: BusEvents[K]) => void;

/**
 * The spine between transports and services. The in-process implementation
 * is `bus-memory.ts`; a NATS JetStream one follows for scale-out. Listeners
 * register under an owner so a part's `stop()` removes all of its listeners.
 */
export interface Bus {
  publish<K extends keyof BusEvents>(topic: K, event: BusEvents[K]): void;
  subscribe<K extends keyof BusEvents>(owner: string, topic: K, listener: BusListener<K>): void;
  unsubscribeAll(owner: string): void;
  close(): Promise<void>;
}
