/**
 * Full-jitter exponential backoff (the AWS Architecture Blog's "full
 * jitter"): the delay before attempt n is uniform in [0, min(maxMs,
 * minMs·2ⁿ)). Jitter spreads a fleet that lost the broker at the same moment
 * over the whole window instead of letting it come back in lockstep.
 *
 * `attempt` counts failed attempts since the last success (0 for the first
 * retry). `random` returns [0, 1) and is passed in so tests are deterministic.
 *
 * @example
 * backoffDelay(0, { minMs: 1000, maxMs: 30000 }, Math.random); // 0..999
 * backoffDelay(10, { minMs: 1000, maxMs: 30000 }, () => 0.5);  // 15000
 */
export function backoffDelay(
  attempt: number,
  range: { readonly minMs: number; readonly maxMs: number },
  random: () => number,
): number {
  const cap = backoffCap(attempt, range);
  const r = random();
  // A misbehaving random source must not produce a negative or oversized delay.
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 0.999_999) : 0.5;
  return Math.floor(unit * cap);
}

/** The upper bound of attempt n's window: minMs·2ⁿ, at most maxMs (no overflow for large n). */
export function backoffCap(
  attempt: number,
  range: { readonly minMs: number; readonly maxMs: number },
): number {
  const n = Math.max(0, Math.min(Math.floor(attempt), 40));
  return Math.min(range.maxMs, range.minMs * 2 ** n);
}
