import type { Clock } from './clock.js';

export interface ThrottleOptions {
  /** Failures tolerated inside the window before an address is held back. */
  readonly maxFailures: number;
  readonly windowMs: number;
  /** Longest hold; the hold doubles with each failure past the limit. */
  readonly maxHoldMs?: number;
}

interface Entry {
  failures: number[];
  holdUntil: number;
}

/**
 * Slows down guessing: after `maxFailures` failed attempts from one address
 * within the window, that address is refused for 1 s, then 2 s, 4 s … up to
 * `maxHoldMs`. A success does not clear the record (an attacker who owns one
 * key must not reset the counter for guessing others). Memory is bounded by
 * pruning stale entries.
 */
export class FailureThrottle {
  readonly #entries = new Map<string, Entry>();
  readonly #opts: Required<ThrottleOptions>;
  readonly #clock: Clock;

  constructor(opts: ThrottleOptions, clock: Clock) {
    this.#opts = { maxHoldMs: 15 * 60_000, ...opts };
    this.#clock = clock;
  }

  /** Milliseconds this address must still wait, 0 when it may try. */
  retryAfter(address: string): number {
    const e = this.#entries.get(address);
    if (!e) return 0;
    return Math.max(0, e.holdUntil - this.#clock.now());
  }

  fail(address: string): void {
    const now = this.#clock.now();
    const e = this.#entries.get(address) ?? { failures: [], holdUntil: 0 };
    e.failures = e.failures.filter((t) => now - t < this.#opts.windowMs);
    e.failures.push(now);
    const over = e.failures.length - this.#opts.maxFailures;
    if (over >= 0) e.holdUntil = now + Math.min(this.#opts.maxHoldMs, 1000 * 2 ** Math.min(over, 20));
    this.#entries.set(address, e);
    if (this.#entries.size > 10_000) this.#prune(now);
  }

  #prune(now: number): void {
    for (const [k, e] of this.#entries) {
      if (e.holdUntil < now && e.failures.every((t) => now - t >= this.#opts.windowMs))
        this.#entries.delete(k);
    }
  }
}
