/**
 * A token bucket: `rate` tokens per second, holding at most `burst`. Used
 * for per-device message and byte rates and per-address connection rates.
 * Time is passed in so the arithmetic is pure and testable.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;
  readonly rate: number;
  readonly burst: number;

  constructor(rate: number, burst: number, now: number) {
    this.rate = rate;
    this.burst = burst;
    this.#tokens = burst;
    this.#last = now;
  }

  #refill(now: number): void {
    if (now > this.#last) {
      this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.rate);
      this.#last = now;
    }
  }

  /** Takes `n` tokens; the balance may go negative (a large message borrows from the future). */
  take(n: number, now: number): void {
    this.#refill(now);
    this.#tokens -= n;
  }

  /** Milliseconds until the balance is positive again (0 = may proceed now). */
  waitMs(now: number): number {
    this.#refill(now);
    return this.#tokens > 0 ? 0 : Math.ceil((-this.#tokens / this.rate) * 1000) + 1;
  }

  /** Takes one token if available. */
  tryTake(now: number): boolean {
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
