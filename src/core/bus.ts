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

/** Points and events after they are durable (for the live stream and later the rule engine). */
export interface StoredTelemetry {
  readonly tenant: string;
  readonly device: string;
  readonly points: readonly {
    readonly key: string;
    readonly ts: number;
    readonly value: number | boolean | string;
  }[];
  readonly events: readonly {
    readonly type: string;
    readonly ts: number;
    readonly data: Record<string, unknown>;
  }[];
}

/** A device came online or went offline (connection, or activity against its profile's inactivity timeout). */
export interface DeviceStatusChange {
  readonly tenant: string;
  readonly device: string;
  readonly status: 'online' | 'offline';
  readonly reason: 'connected' | 'disconnected' | 'activity' | 'inactive';
  readonly ts: number;
}

/** The one event map of the platform (STYLE.md §5). */
export interface BusEvents {
  uplink: Uplink;
  downlink: Downlink;
  registry: RegistryChange;
  telemetry: StoredTelemetry;
  'device-status': DeviceStatusChange;
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
