/**
 * Storage of telemetry points and device events (ARCHITECTURE §7): narrow
 * typed rows, per-minute and per-hour rollups maintained on write, latest
 * value per key. Writes go through a `TelemetryWriter` (group commit; on
 * SQLite a worker thread owns the write connection); reads through the store.
 */
export type Scalar = number | boolean | string;

export interface PointRow {
  readonly tenant: string;
  readonly device: string;
  readonly key: string;
  /** Epoch ms. One point per (device, key, ts): a second one with the same ts is a duplicate and ignored. */
  readonly ts: number;
  readonly value: Scalar;
}

export interface EventRow {
  readonly tenant: string;
  readonly device: string;
  readonly ts: number;
  readonly type: string;
  readonly data: Record<string, unknown>;
}

export interface WriteBatch {
  readonly points: readonly PointRow[];
  readonly events: readonly EventRow[];
}

/** What to delete: one device's (or a whole tenant's) data older than the cut-offs, in epoch ms. */
export interface PurgeRule {
  readonly tenant: string;
  /** All devices of the tenant when absent. */
  readonly devices?: readonly string[];
  readonly rawBefore: number;
  readonly rollupsBefore: number;
  readonly eventsBefore: number;
}

export interface TelemetryWriter {
  /**
   * Resolves once the batch is durable (or rejects: nothing of it is
   * stored), with one flag per point: true when stored now, false for a
   * duplicate of a stored point. Batches written close together share one
   * commit. Reads of the TelemetryStore see every write that resolved.
   */
  write(batch: WriteBatch): Promise<boolean[]>;
  /** Points and events handed to write() and not yet in the tables (for backpressure). */
  readonly backlog: number;
  /** Deletes by retention rules; returns the rows removed. */
  purge(rules: readonly PurgeRule[]): Promise<number>;
  /** Drops all data of a device (deleted device) or of a tenant (no `device`). */
  forget(tenant: string, device?: string): Promise<void>;
  /** Commits what is pending, then stops. */
  close(): Promise<void>;
}

export interface LatestValue {
  readonly ts: number;
  readonly value: Scalar;
}

export interface RawQuery {
  readonly tenant: string;
  readonly device: string;
  readonly key: string;
  /** Inclusive bounds, epoch ms. */
  readonly from: number;
  readonly to: number;
  /** Points strictly after this ts (keyset paging). */
  readonly after?: number;
  readonly limit: number;
}

/** Where aggregates are computed from: raw points, or the minute/hour rollups. */
export type AggregateSource = 'raw' | '1m' | '1h';

export interface AggregateQuery {
  readonly tenant: string;
  readonly device: string;
  readonly key: string;
  readonly from: number;
  readonly to: number;
  /** Bucket width in ms; buckets start at multiples of it (UTC epoch). */
  readonly interval: number;
  readonly source: AggregateSource;
}

export interface Bucket {
  /** Start of the bucket, epoch ms. */
  readonly ts: number;
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly sum: number;
  readonly first: number;
  readonly last: number;
}

export interface EventQuery {
  readonly tenant: string;
  readonly device: string;
  readonly from: number;
  readonly to: number;
  readonly type?: string;
  /** Events after this one in newest-first order (paging): older ts, or the same ts and a smaller id. */
  readonly before?: { readonly ts: number; readonly id: number };
  readonly limit: number;
}

export interface StoredEvent extends Omit<EventRow, 'tenant' | 'device'> {
  readonly id: number;
}

export interface TelemetryStore {
  latest(tenant: string, device: string): Promise<Record<string, LatestValue>>;
  keys(tenant: string, device: string): Promise<string[]>;
  raw(q: RawQuery): Promise<{ ts: number; value: Scalar }[]>;
  /** Buckets with at least one numeric point, oldest first. */
  aggregate(q: AggregateQuery): Promise<Bucket[]>;
  events(q: EventQuery): Promise<StoredEvent[]>;
}
