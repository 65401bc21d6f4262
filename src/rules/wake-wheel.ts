/**
 * When each device's rule state next needs the engine's clock (a `for`
 * completing, a window expiring, a silent device's deadline): a timing
 * wheel of one-second slots, so a tick steps only the states that are due
 * instead of every state of every time-driven rule. An item is due at most
 * once: scheduling it earlier moves it (the old entry is skipped as stale).
 * The second an item is due in is kept on the item itself (`wakeSec`): a
 * field read per point, where a WeakMap lookup was a tenth of the wheel.
 */
export class WakeWheel<K extends { wakeSec?: number | undefined }, V> {
  private readonly slots = new Map<number, { key: K; value: V }[]>();
  /** The last second handed out by due(): nothing is scheduled at or before it. */
  private done: number;

  constructor(now: number) {
    this.done = Math.floor(now / 1000);
  }

  /**
   * Due at `wakeMs` (epoch ms; at the next tick when already past). Lazy:
   * an item already due no later keeps its slot (it is stepped then, finds
   * it is not yet time, and is scheduled again), and undefined leaves it be.
   * Deadlines that move later with every point (a silent device's, a
   * window's oldest point) would otherwise leave a stale entry per second.
   */
  schedule(key: K, value: V, wakeMs: number | undefined): void {
    if (wakeMs === undefined) return;
    // The slot of its second: a tick later in that second finds it (at most a second early, which
    // only costs a step that says "not yet"; never later than the first tick after the wake time).
    const sec = Math.max(Math.floor(wakeMs / 1000), this.done + 1);
    const current = key.wakeSec;
    if (current !== undefined && current <= sec) return;
    key.wakeSec = sec;
    let slot = this.slots.get(sec);
    if (!slot) {
      slot = [];
      this.slots.set(sec, slot);
    }
    slot.push({ key, value });
  }

  /** Everything due at or before `now`, each once; what is returned is no longer scheduled. */
  due(now: number): { key: K; value: V }[] {
    const until = Math.floor(now / 1000);
    const out: { key: K; value: V }[] = [];
    // Walk the seconds since the last call; after a long pause (or a clock jump) scan the slots instead.
    const seconds =
      until - this.done <= 3600
        ? Array.from({ length: Math.max(0, until - this.done) }, (_, i) => this.done + 1 + i)
        : [...this.slots.keys()].filter((s) => s <= until);
    for (const sec of seconds) {
      const slot = this.slots.get(sec);
      if (!slot) continue;
      this.slots.delete(sec);
      for (const e of slot) {
        if (e.key.wakeSec !== sec) continue;
        e.key.wakeSec = undefined;
        out.push(e);
      }
    }
    if (until > this.done) this.done = until;
    return out;
  }

  /** Entries waiting (stale ones included), for tests and metrics. */
  get size(): number {
    let n = 0;
    for (const s of this.slots.values()) n += s.length;
    return n;
  }
}
