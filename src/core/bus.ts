import type { Downlink, Uplink } from './envelope.js';
import type { AclRule, SysScope } from './topic-acl.js';

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
  | { readonly kind: 'apikey-revoked'; readonly tenant: string; readonly apikey: string }
  /** An MQTT user's rules changed: live sessions switch to them at once. */
  | {
      readonly kind: 'mqtt-user-updated';
      readonly tenant: string;
      readonly username: string;
      readonly rules: readonly AclRule[];
      readonly sys: SysScope;
    }
  /** Deleted, or its secret rotated: live sessions (which used the old secret) end. */
  | {
      readonly kind: 'mqtt-user-deleted' | 'mqtt-user-secret-rotated';
      readonly tenant: string;
      readonly username: string;
    };

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

/** A device twin changed (for the live stream and the rule engine). */
export interface TwinChange {
  readonly tenant: string;
  readonly device: string;
  readonly side: 'desired' | 'reported';
  /** The merge patch that was applied. */
  readonly patch: Record<string, unknown>;
  readonly version: number;
  readonly desiredVersion: number;
  readonly reportedVersion: number;
  /** Both sides after the change, whole, and what desired still asks (for rules). */
  readonly desired: Readonly<Record<string, unknown>>;
  readonly reported: Readonly<Record<string, unknown>>;
  readonly delta: Readonly<Record<string, unknown>>;
  readonly ts: number;
}

/** A command changed status (for waiters, the live stream, later the rule engine). */
export interface CommandChange {
  readonly tenant: string;
  readonly device: string;
  readonly id: string;
  readonly name: string;
  /** queued, sent, delivered, succeeded, failed, timed_out, expired, cancelled. */
  readonly status: string;
  readonly ts: number;
  readonly result?: unknown;
  readonly error?: unknown;
}

/**
 * A transport's word on a `command` downlink: `sent` to the device's
 * connection, `delivered` (the device acknowledged it), `refused` (it
 * acknowledged with a failure reason), `unreachable` (no
 * connection subscribed to its commands: it stays queued); or `ready`: the
 * device can take commands now (it connected and subscribed).
 */
export type CommandDelivery =
  | { readonly kind: 'ready'; readonly tenant: string; readonly device: string }
  | {
      readonly kind: 'sent' | 'delivered' | 'unreachable';
      readonly tenant: string;
      readonly device: string;
      readonly id: string;
    }
  | {
      /** The device refused the message (an MQTT 5 PUBACK with a failure reason code). */
      readonly kind: 'refused';
      readonly tenant: string;
      readonly device: string;
      readonly id: string;
      readonly reason: string;
    };

/**
 * A rule started or stopped holding for a device (the engine's output):
 * alarms raise and clear from these, actions are queued from them.
 */
export interface RuleTransition {
  readonly tenant: string;
  readonly device: string;
  readonly rule: string;
  readonly version: number;
  /** true: the condition now holds (fired); false: it stopped holding. */
  readonly firing: boolean;
  /** Signal time of the transition (epoch ms). */
  readonly ts: number;
  /** The point that made it change, when one did. */
  readonly key?: string;
  readonly value?: number | boolean | string;
  readonly alarm?: {
    readonly type: string;
    readonly severity: string;
    readonly autoClear: boolean;
    readonly message?: string;
  };
}

/** A rule action gave up: its attempts ran out, or it was refused for good (raises an alarm). */
export interface ActionFailure {
  readonly tenant: string;
  /** The device the rule fired for. */
  readonly device: string;
  readonly rule: string;
  /** Outbox item id (`GET /api/v1/actions`). */
  readonly id: string;
  readonly kind: string;
  readonly attempts: number;
  readonly error: string;
  readonly ts: number;
}

/** An alarm changed (raised, raised again, acknowledged, cleared, commented): for the live stream. */
export interface AlarmChange {
  readonly tenant: string;
  readonly device: string;
  readonly id: string;
  readonly type: string;
  readonly severity: string;
  readonly status: string;
  readonly ts: number;
}

/** The one event map of the platform (STYLE.md §5). */
export interface BusEvents {
  uplink: Uplink;
  downlink: Downlink;
  registry: RegistryChange;
  telemetry: StoredTelemetry;
  'device-status': DeviceStatusChange;
  twin: TwinChange;
  command: CommandChange;
  'command-delivery': CommandDelivery;
  'rule-transition': RuleTransition;
  /** A rule was saved (new version, enabled, disabled) or deleted: the engine reloads it. */
  'rule-changed': { readonly tenant: string; readonly name: string };
  alarm: AlarmChange;
  'action-failed': ActionFailure;
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
