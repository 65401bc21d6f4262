import { type Condition, compare, type Op } from './types.js';

/**
 * `avg(temp) over 5m > 80`: avg, min, max, sum or count of one numeric key
 * over a time window, compared with a threshold. An empty window is false,
 * except for count (0 is compared); ticks before the first point say nothing.
 *
 * sliding: the window is (newest - windowMs, newest] (newest = latest point
 * ts), judged after every point; ticks expire ts <= tick - windowMs and judge
 * again. Points at or before newest - windowMs are late and ignored; earlier
 * ones still inside are inserted in ts order. A running sum (recomputed at
 * each compaction, bounding float drift) makes avg/sum/count O(1) amortised;
 * min/max use a monotonic deque. Queues are arrays with a head index (no
 * O(n) shift), so the state stays plain JSON (extremes null, never Infinity).
 * MAX_POINTS caps the buffer: past it the oldest points are dropped (with any
 * sharing their ts, which then count as late), so very dense data is judged
 * over its last 10,000 points only.
 *
 * tumbling: windows [k * windowMs, (k + 1) * windowMs) on the epoch. Points in
 * the open window say nothing; a point in a later window, or a tick at or
 * past its end, answers for the most recently closed window (after a gap, an
 * empty one: that is the truth now). Points for a closed window are ignored;
 * ticks carry the engine's clock, so device clocks are assumed in sync.
 */
export const MAX_POINTS = 10_000;

/** Entries (ts[i], vs[i]) for i >= head, sorted by ts; entries before head are dead. */
export interface WindowQueue {
  ts: number[];
  vs: number[];
  head: number;
}

export interface WindowState {
  /** sliding: the live points, and (min/max) the monotonic deque. */
  buf: WindowQueue;
  deque: WindowQueue;
  /** sliding: points with ts <= cutoff are gone or late; null before the first point. */
  cutoff: number | null;
  /** tumbling: the open window's start (null before the first point), count and extreme. */
  start: number | null;
  count: number;
  ext: number | null;
  /** Sum of the live points (sliding) or of the open window (tumbling). */
  sum: number;
}

export function createWindow(spec: {
  key: string;
  agg: 'avg' | 'min' | 'max' | 'sum' | 'count';
  windowMs: number;
  mode: 'sliding' | 'tumbling';
  op: Op;
  value: number;
}): Condition<WindowState> {
  const { agg, windowMs: w } = spec;
  const extreme = agg === 'min' || agg === 'max';
  /** a is at least as extreme as b (so b can never be the answer while a is live). */
  const better = agg === 'min' ? (a: number, b: number) => a <= b : (a: number, b: number) => a >= b;
  const judge = (n: number, sum: number, ext: number | null): boolean => {
    if (agg === 'count') return compare(n, spec.op, spec.value);
    if (n === 0) return false;
    return compare(agg === 'sum' ? sum : agg === 'avg' ? sum / n : (ext as number), spec.op, spec.value);
  };

  const expire = (s: WindowState, cutoff: number): void => {
    const b = s.buf;
    while (b.head < b.ts.length && b.ts[b.head]! <= cutoff) s.sum -= b.vs[b.head++]!;
    if (compact(b)) s.sum = b.vs.reduce((a, v) => a + v, 0);
    const d = s.deque;
    while (d.head < d.ts.length && d.ts[d.head]! <= cutoff) d.head++;
    compact(d);
  };
  const judgeSliding = (s: WindowState) => judge(size(s.buf), s.sum, s.deque.vs[s.deque.head] ?? null);

  const sliding = (s: WindowState, t: number, v: number): boolean | undefined => {
    if (s.cutoff !== null && t <= s.cutoff) return undefined;
    const p = slot(s.buf, t);
    if (p === s.buf.ts.length) {
      // In-order data, the usual case: append.
      s.buf.ts.push(t);
      s.buf.vs.push(v);
    } else {
      s.buf.ts.splice(p, 0, t);
      s.buf.vs.splice(p, 0, v);
    }
    s.sum += v;
    if (extreme) dequeInsert(s.deque, t, v, better);
    s.cutoff = s.cutoff === null ? t - w : Math.max(s.cutoff, t - w);
    expire(s, s.cutoff);
    if (size(s.buf) > MAX_POINTS) {
      s.cutoff = s.buf.ts[s.buf.head]!;
      expire(s, s.cutoff);
    }
    return judgeSliding(s);
  };

  /** Moves to the window starting at `next`, answering for the one just before it. */
  const roll = (s: WindowState, next: number): boolean => {
    const answer = next - w === s.start ? judge(s.count, s.sum, s.ext) : judge(0, 0, null);
    Object.assign(s, { start: next, count: 0, sum: 0, ext: null });
    return answer;
  };
  const tumbling = (s: WindowState, t: number, v: number): boolean | undefined => {
    const ws = Math.floor(t / w) * w;
    s.start ??= ws;
    if (ws < s.start) return undefined;
    const answer = ws > s.start ? roll(s, ws) : undefined;
    s.count++;
    s.sum += v;
    if (s.ext === null || better(v, s.ext)) s.ext = v;
    return answer;
  };

  return {
    needs: { keys: [spec.key], ticks: true },
    initial: () => ({ buf: queue(), deque: queue(), cutoff: null, start: null, count: 0, ext: null, sum: 0 }),
    step(state, s) {
      if (s.kind === 'tick') {
        if (spec.mode === 'tumbling') {
          if (state.start === null || s.ts < state.start + w) return undefined;
          return roll(state, Math.floor(s.ts / w) * w);
        }
        if (state.cutoff === null) return undefined;
        expire(state, s.ts - w);
        return judgeSliding(state);
      }
      if (s.kind !== 'point' || s.key !== spec.key) return undefined;
      if (typeof s.value !== 'number' || !Number.isFinite(s.value)) return undefined;
      return spec.mode === 'sliding' ? sliding(state, s.ts, s.value) : tumbling(state, s.ts, s.value);
    },
    // Sliding: when the oldest live point leaves the window; tumbling: when the open window closes.
    wakeAt(state) {
      if (spec.mode === 'tumbling') return state.start === null ? undefined : state.start + w;
      const oldest = state.buf.ts[state.buf.head];
      return oldest === undefined ? undefined : oldest + w;
    },
  };
}

const queue = (): WindowQueue => ({ ts: [], vs: [], head: 0 });
const size = (q: WindowQueue): number => q.ts.length - q.head;

/** Where a point at t goes: after every entry with ts <= t (the end, for in-order data). */
function slot(q: WindowQueue, t: number): number {
  let p = q.ts.length;
  while (p > q.head && q.ts[p - 1]! > t) p--;
  return p;
}

/**
 * Drops the dead entries once they are at least 16 and at least as many as the live ones:
 * amortised O(1) per point, and a state (kept in memory and saved in every snapshot) never
 * holds more than max(16, live) dead entries. Waiting for 1,024 dead ones made a 10 s window
 * of a steady sensor weigh 16 KB in the heap and 30 KB in each snapshot.
 */
function compact(q: WindowQueue): boolean {
  if (q.head === 0 || (q.head < q.ts.length && (q.head < 16 || q.head * 2 < q.ts.length))) return false;
  q.ts.splice(0, q.head);
  q.vs.splice(0, q.head);
  q.head = 0;
  return true;
}

/**
 * Monotonic deque insert: entries are sorted by ts and strictly more extreme
 * towards the front. A point is useless if a later one at least as extreme
 * exists (it outlives it), and makes earlier, less extreme entries useless.
 */
function dequeInsert(d: WindowQueue, t: number, v: number, better: (a: number, b: number) => boolean): void {
  const p = slot(d, t);
  if (p < d.ts.length && better(d.vs[p]!, v)) return;
  let j = p;
  while (j > d.head && better(v, d.vs[j - 1]!)) j--;
  d.ts.splice(j, p - j, t);
  d.vs.splice(j, p - j, v);
}
