/**
 * The per-transaction arithmetic of the PostgreSQL writer, pure: one
 * group's points as columns sorted by (series, ts), the minute/hour rollup
 * rows and newest values of the points that were stored. Sorted input
 * makes each rollup row one run of consecutive points, and gives every
 * transaction the same lock order (no deadlock between concurrent ones).
 */

/** kind: 0 number, 1 boolean (num 0/1), 2 string (txt), as in the telemetry table. */
export interface PointColumns {
  readonly series: number[];
  readonly ts: number[];
  readonly kind: number[];
  readonly num: (number | null)[];
  readonly txt: (string | null)[];
}

/** Rows for telemetry_1m / telemetry_1h, sorted by (series, bucket). */
export interface RollupColumns {
  readonly series: number[];
  readonly bucket: number[];
  readonly count: number[];
  readonly min: number[];
  readonly max: number[];
  readonly sum: number[];
  readonly firstTs: number[];
  readonly first: number[];
  readonly lastTs: number[];
  readonly last: number[];
}

export const emptyPoints = (): PointColumns => ({ series: [], ts: [], kind: [], num: [], txt: [] });

/** Minute or hour rollups of the numeric points of `p` for which `stored(i)`. */
export function rollupsOf(p: PointColumns, stored: (i: number) => boolean, width: number): RollupColumns {
  const r: RollupColumns = {
    series: [],
    bucket: [],
    count: [],
    min: [],
    max: [],
    sum: [],
    firstTs: [],
    first: [],
    lastTs: [],
    last: [],
  };
  let at = -1;
  for (let i = 0; i < p.ts.length; i++) {
    if (p.kind[i] !== 0 || !stored(i)) continue;
    const series = p.series[i] as number;
    const ts = p.ts[i] as number;
    const v = p.num[i] as number;
    const bucket = ts - (ts % width);
    if (at >= 0 && r.series[at] === series && r.bucket[at] === bucket) {
      // Sorted by ts within a series: this point is the bucket's last so far.
      r.count[at] = (r.count[at] as number) + 1;
      if (v < (r.min[at] as number)) r.min[at] = v;
      if (v > (r.max[at] as number)) r.max[at] = v;
      r.sum[at] = (r.sum[at] as number) + v;
      r.lastTs[at] = ts;
      r.last[at] = v;
      continue;
    }
    at = r.series.length;
    r.series.push(series);
    r.bucket.push(bucket);
    r.count.push(1);
    r.min.push(v);
    r.max.push(v);
    r.sum.push(v);
    r.firstTs.push(ts);
    r.first.push(v);
    r.lastTs.push(ts);
    r.last.push(v);
  }
  return r;
}

/** The newest stored point of each series of `p` (the last of its run), sorted by series. */
export function newestOf(p: PointColumns, stored: (i: number) => boolean): PointColumns {
  const out = emptyPoints();
  for (let i = 0; i < p.ts.length; i++) {
    if (!stored(i)) continue;
    const series = p.series[i] as number;
    const last = out.series.length - 1;
    const at = last >= 0 && out.series[last] === series ? last : out.series.push(series) - 1;
    out.ts[at] = p.ts[i] as number;
    out.kind[at] = p.kind[i] as number;
    out.num[at] = p.num[i] ?? null;
    out.txt[at] = p.txt[i] ?? null;
  }
  return out;
}
