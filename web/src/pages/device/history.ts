import { api, path } from '../../api/client';
import type { Bucket, RawPoint } from '../../api/types';

/** [epoch ms, value] in time order, per key. */
export type Lines = Record<string, [number, number][]>;

export interface ChartData {
  /** Raw points, or buckets of `interval` ms (avg line, min/max beside it). */
  readonly mode: 'raw' | 'agg';
  readonly interval?: number;
  readonly from: number;
  readonly to: number;
  readonly lines: Lines;
  readonly lows: Lines;
  readonly highs: Lines;
  /** The device has no data before `from`: the range asked for was narrowed to what exists. */
  readonly narrowed?: boolean;
}

/** Up to an hour, raw points read well (3,600 a key at 1 Hz); beyond, buckets from the rollups. */
export const RAW_MAX_SPAN = 3_600_000;
const RAW_PAGE = 10_000;
const RAW_PAGES = 4;

/** The history of `keys` over [from, to]: raw for short spans, aggregated (about 500 buckets) for long ones. */
export async function loadHistory(
  id: string,
  keys: readonly string[],
  from: number,
  to: number,
): Promise<ChartData> {
  const lines: Lines = {};
  const lows: Lines = {};
  const highs: Lines = {};
  for (const k of keys) lines[k] = [];
  if (keys.length === 0) return { mode: 'raw', from, to, lines, lows, highs };
  const q = { keys: keys.join(','), from: Math.round(from), to: Math.round(to) };
  if (to - from <= RAW_MAX_SPAN) {
    let cursor: string | undefined;
    // Oldest first, paged: a few pages cover an hour of several keys at 1 Hz.
    for (let page = 0; page < RAW_PAGES; page++) {
      const r = await api.get<{ items: RawPoint[]; next?: string }>(path`/devices/${id}/telemetry`, {
        ...q,
        limit: RAW_PAGE,
        cursor,
      });
      for (const p of r.items) if (typeof p.value === 'number') lines[p.key]?.push([p.ts, p.value]);
      cursor = r.next;
      if (!cursor) break;
    }
    return { mode: 'raw', from, to, lines, lows, highs };
  }
  const r = await api.get<{ items: Bucket[]; interval: number }>(path`/devices/${id}/telemetry`, {
    ...q,
    points: 500,
    agg: 'avg,min,max',
  });
  for (const k of keys) {
    lows[k] = [];
    highs[k] = [];
  }
  // A young device fills a sliver of a long range: read what exists, finer.
  const first = Math.min(...r.items.map((b) => b.ts));
  if (r.items.length && first - from > (to - from) / 2) {
    const fine = await loadHistory(id, keys, first, to);
    return { ...fine, narrowed: true };
  }
  for (const b of r.items) {
    if (typeof b.avg === 'number') lines[b.key]?.push([b.ts, b.avg]);
    if (typeof b.min === 'number') lows[b.key]?.push([b.ts, b.min]);
    if (typeof b.max === 'number') highs[b.key]?.push([b.ts, b.max]);
  }
  for (const l of [lines, lows, highs]) for (const k of keys) l[k]?.sort((a, b) => a[0] - b[0]);
  return { mode: 'agg', interval: r.interval, from, to, lines, lows, highs };
}

/** Adds live points (dropping repeats and what slid out of the window); keeps time order. */
export function appendLive(
  data: ChartData,
  points: readonly { key: string; ts: number; value: unknown }[],
  span: number,
): ChartData {
  const now = Date.now();
  const start = now - span;
  const lines: Lines = { ...data.lines };
  let changed = false;
  for (const p of points) {
    if (typeof p.value !== 'number') continue;
    const line = lines[p.key];
    if (!line) continue; // not charted
    const last = line[line.length - 1];
    if (last && last[0] === p.ts) continue;
    const next = line.filter((x) => x[0] >= start);
    next.push([p.ts, p.value]);
    if (last && last[0] > p.ts) next.sort((a, b) => a[0] - b[0]);
    lines[p.key] = next;
    changed = true;
  }
  return changed ? { ...data, from: start, to: now, lines } : data;
}

/** A fresh load, plus the live points that arrived while it was on its way. */
export function mergeLoaded(loaded: ChartData, current: ChartData | undefined): ChartData {
  if (!current || loaded.mode !== 'raw' || current.mode !== 'raw') return loaded;
  const lines: Lines = { ...loaded.lines };
  for (const [k, line] of Object.entries(lines)) {
    const tail = (current.lines[k] ?? []).filter((p) => p[0] > loaded.to);
    if (tail.length) lines[k] = [...line, ...tail];
  }
  return { ...loaded, lines };
}
