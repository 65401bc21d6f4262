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
}

export type DownlinkKind = 'command' | 'desired' | 'ota' | 'disconnect';

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
