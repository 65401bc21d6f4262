/**
 * The ordered queue of messages waiting to be sent or acknowledged (pure,
 * no I/O). Bounded: past `limit` waiting items the oldest is dropped and
 * handed back so its caller can be told. Items in flight are taken out and,
 * when their connection is lost, put back at the front in their original
 * order, so a replay after reconnecting keeps the order they were produced in.
 */
export interface Queued {
  /** Items of one kind that may share a payload (a batch) when `batchable`. */
  readonly kind: string;
  readonly batchable: boolean;
  /** Bytes it adds to a payload (an estimate is enough). */
  readonly size: number;
  /** Values it adds to a payload (the platform limits values per payload). */
  readonly points: number;
}

export interface BatchLimits {
  readonly maxItems: number;
  readonly maxBytes: number;
  readonly maxPoints: number;
}

export class OfflineBuffer<T extends Queued> {
  readonly #limit: number;
  #items: T[] = [];
  /** Index of the first item in #items (a head index avoids O(n) shift per take). */
  #head = 0;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
    this.#limit = limit;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Appends an item; returns the items dropped to stay within the limit (oldest first). */
  push(item: T): T[] {
    this.#items.push(item);
    return this.#trim();
  }

  /**
   * Puts items back at the front, in the given order (the in-flight ones
   * after a lost connection). Returns what no longer fits, oldest first.
   */
  unshift(items: readonly T[]): T[] {
    if (items.length === 0) return [];
    this.#items = [...items, ...this.#items.slice(this.#head)];
    this.#head = 0;
    return this.#trim();
  }

  /**
   * Takes the next payload's worth: the first item, plus following items of
   * the same kind while they are batchable and within the limits. The first
   * item is always taken (a single oversized item is the platform's to judge).
   */
  take(limits: BatchLimits): T[] {
    const first = this.#items[this.#head];
    if (first === undefined) return [];
    const out = [first];
    let bytes = first.size;
    let points = first.points;
    let i = this.#head + 1;
    if (first.batchable) {
      for (; i < this.#items.length && out.length < limits.maxItems; i++) {
        const next = this.#items[i] as T;
        if (next.kind !== first.kind || !next.batchable) break;
        if (bytes + next.size > limits.maxBytes || points + next.points > limits.maxPoints) break;
        bytes += next.size;
        points += next.points;
        out.push(next);
      }
    }
    this.#head += out.length;
    this.#compact();
    return out;
  }

  /** Removes and returns every waiting item (on close). */
  drain(): T[] {
    const all = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    return all;
  }

  #trim(): T[] {
    const over = this.length - this.#limit;
    if (over <= 0) return [];
    const dropped = this.#items.slice(this.#head, this.#head + over);
    this.#head += over;
    this.#compact();
    return dropped;
  }

  #compact(): void {
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
