import { ApiErrors } from '../api/errors.js';
import { PlexusError } from '../core/errors.js';
import type { Bucket, Scalar, StoredEvent, TelemetryStore } from '../store/index.js';
import { TelemetryErrors } from './errors.js';
import { type Aggregate, intervalForPoints, sourceFor } from './model.js';

/** Most buckets one aggregated query may return (per key and device). */
export const MAX_BUCKETS = 10_000;
/** Raw points per page. */
export const MAX_RAW_LIMIT = 10_000;

export interface HistoryQuery {
  readonly tenant: string;
  readonly devices: readonly string[];
  readonly keys: readonly string[];
  readonly from: number;
  readonly to: number;
  /** Aggregates wanted; absent = raw points. */
  readonly agg?: readonly Aggregate[];
  /** Bucket width in ms, or… */
  readonly interval?: number;
  /** …about this many buckets over the range ("downsample for a chart"). */
  readonly points?: number;
  /** Raw: page size and cursor (`ts:device:key` of the last item). */
  readonly limit: number;
  readonly cursor?: string;
}

export type RawItem = { device: string; key: string; ts: number; value: Scalar };
export type AggItem = { device: string; key: string; ts: number } & Partial<Record<Aggregate, number>>;

const bad = (message: string) => new PlexusError(TelemetryErrors.BAD_QUERY, message);

function project(b: Bucket, agg: readonly Aggregate[]): Partial<Record<Aggregate, number>> {
  const out: Partial<Record<Aggregate, number>> = {};
  for (const a of agg) {
    if (a === 'avg') out.avg = b.sum / b.count;
    else out[a] = b[a];
  }
  return out;
}

/**
 * History reads (ARCHITECTURE §6.1): raw points with keyset paging, or
 * aggregates over fixed intervals, read from hour/minute rollups whenever
 * the interval allows (sourceFor), for several devices and keys at once.
 */
export function createQueries(store: TelemetryStore) {
  async function aggregated(q: HistoryQuery): Promise<{ items: AggItem[]; interval: number }> {
    const agg = q.agg ?? ['avg', 'min', 'max'];
    const interval = q.interval ?? intervalForPoints(q.from, q.to, q.points ?? 500);
    const buckets = Math.ceil((q.to - q.from + 1) / interval);
    if (buckets > MAX_BUCKETS) {
      throw bad(
        `${buckets} buckets of ${interval} ms exceed ${MAX_BUCKETS}: use a larger interval or points=N`,
      );
    }
    const source = sourceFor(interval);
    const items: AggItem[] = [];
    for (const device of q.devices) {
      for (const key of q.keys) {
        // Rollup buckets start on minute/hour boundaries: widen `from` to the one holding it.
        const from = source === 'raw' ? q.from : q.from - (q.from % interval);
        for (const b of await store.aggregate({
          tenant: q.tenant,
          device,
          key,
          from,
          to: q.to,
          interval,
          source,
        })) {
          items.push({ device, key, ts: b.ts, ...project(b, agg) });
        }
      }
    }
    return { items, interval };
  }

  async function raw(q: HistoryQuery): Promise<{ items: RawItem[]; next?: string }> {
    let after: { ts: number; device: string; key: string } | undefined;
    if (q.cursor !== undefined) {
      const m = /^(\d+):([^:]*):(.*)$/.exec(q.cursor);
      if (!m) throw new PlexusError(ApiErrors.INVALID_CURSOR, 'cursor is not one this API returned');
      after = { ts: Number(m[1]), device: m[2] as string, key: m[3] as string };
    }
    const all: RawItem[] = [];
    for (const device of q.devices) {
      for (const key of q.keys) {
        const from = after ? Math.max(q.from, after.ts) : q.from;
        // +2: one more than a page tells whether another follows, and the series may hold the
        // cursor's own point (at after.ts), which the filter below drops.
        const rows = await store.raw({ tenant: q.tenant, device, key, from, to: q.to, limit: q.limit + 2 });
        for (const r of rows) {
          const item = { device, key, ts: r.ts, value: r.value };
          if (after && !isAfter(item, after)) continue;
          all.push(item);
        }
      }
    }
    all.sort(compareItems);
    if (all.length <= q.limit) return { items: all };
    const items = all.slice(0, q.limit);
    const last = items[items.length - 1] as RawItem;
    return { items, next: `${last.ts}:${last.device}:${last.key}` };
  }

  return {
    history(q: HistoryQuery) {
      if (q.to < q.from) throw bad('`to` is before `from`');
      if (q.devices.length === 0) throw bad('name at least one device');
      // A device without data has no keys yet: an empty history, not an error.
      if (q.keys.length === 0) return Promise.resolve({ items: [] });
      return q.agg || q.interval !== undefined || q.points !== undefined ? aggregated(q) : raw(q);
    },
    /** Raw points of one series in pages, oldest first (for streamed exports). */
    async *stream(
      tenant: string,
      device: string,
      key: string,
      from: number,
      to: number,
    ): AsyncGenerator<RawItem[]> {
      let after: number | undefined;
      for (;;) {
        const rows = await store.raw({
          tenant,
          device,
          key,
          from,
          to,
          limit: 5_000,
          ...(after === undefined ? {} : { after }),
        });
        if (rows.length === 0) return;
        yield rows.map((r) => ({ device, key, ts: r.ts, value: r.value }));
        after = (rows[rows.length - 1] as { ts: number }).ts;
        if (rows.length < 5_000) return;
      }
    },
    events(
      tenant: string,
      device: string,
      q: { from: number; to: number; type?: string; before?: { ts: number; id: number }; limit: number },
    ): Promise<StoredEvent[]> {
      return store.events({ tenant, device, ...q });
    },
    keys: (tenant: string, device: string) => store.keys(tenant, device),
  };
}

function compareItems(a: RawItem, b: RawItem): number {
  if (a.ts !== b.ts) return a.ts - b.ts;
  if (a.device !== b.device) return a.device < b.device ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function isAfter(item: RawItem, after: { ts: number; device: string; key: string }): boolean {
  return compareItems(item, { ...after, value: 0 }) > 0;
}
