/**
 * The one spine for data (ARCHITECTURE.md §2): every transport turns what a
 * device sends into an `Uplink`; every service that talks to a device emits a
 * `Downlink`. Both are readonly; transforms return new values.
 */
export type UplinkKind = 'telemetry' | 'event' | 'reported' | 'command-result' | 'connected' | 'disconnected';

export interface Uplink {
  readonly kind: UplinkKind;
  readonly tenant: string;
  readonly device: string;
  /** Receive time in epoch ms (points may carry their own timestamps in `data`). */
  readonly ts: number;
  readonly data: unknown;
  /** Transport that received it, e.g. `mqtt`, `http`. */
  readonly via: string;
  /**
   * Present when the sender waits for the outcome (a held MQTT PUBACK, an
   * HTTP response): the consumer that owns this kind (telemetry writer for
   * `telemetry`/`event`) calls it once, after what it accepted is durable.
   * A NATS bus carries it as a reply subject; producers and consumers see
   * only this function.
   */
  readonly ack?: (outcome: UplinkOutcome) => void;
}

/** What became of an uplink: how many items were kept, and why the others were not. */
export interface UplinkOutcome {
  readonly accepted: number;
  readonly rejected: readonly ItemRejection[];
  /** Set when nothing could be stored (storage failure, overload): the sender should retry. */
  readonly error?: { readonly code: string; readonly message: string };
}

export interface ItemRejection {
  /** Index of the entry in the payload (array payloads, SenML records), when known. */
  readonly index?: number;
  readonly key?: string;
  readonly reason: string;
}

/** `data` of a `telemetry` uplink: decoded points, and what the decoder could not read. */
export interface TelemetryData {
  readonly points: readonly {
    readonly key: string;
    readonly value: number | boolean | string;
    readonly ts?: number;
    readonly unit?: string;
  }[];
  readonly problems: readonly ItemRejection[];
}

/** `data` of an `event` uplink. */
export interface EventData {
  readonly events: readonly {
    readonly type: string;
    readonly ts?: number;
    readonly data: Record<string, unknown>;
    /** Position in the payload when it was an array (for error paths). */
    readonly index?: number;
  }[];
  readonly problems: readonly ItemRejection[];
}

export type DownlinkKind = 'command' | 'desired' | 'ota' | 'disconnect' | 'publish';

export interface Downlink {
  readonly kind: DownlinkKind;
  readonly tenant: string;
  readonly device: string;
  readonly ts: number;
  readonly data: unknown;
}

const UPLINK_KINDS: ReadonlySet<string> = new Set<UplinkKind>([
  'telemetry',
  'event',
  'reported',
  'command-result',
  'connected',
  'disconnected',
]);

export const Uplink = {
  is(value: unknown): value is Uplink {
    const v = value as Partial<Uplink> | null;
    return (
      typeof v === 'object' &&
      v !== null &&
      typeof v.kind === 'string' &&
      UPLINK_KINDS.has(v.kind) &&
      typeof v.tenant === 'string' &&
      typeof v.device === 'string' &&
      typeof v.ts === 'number'
    );
  },
  create(fields: Uplink): Uplink {
    return { ...fields };
  },
};

export const Downlink = {
  create(fields: Downlink): Downlink {
    return { ...fields };
  },
};
