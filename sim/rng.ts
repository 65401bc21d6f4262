/**
 * Seeded randomness for the simulator: the same `--seed` gives the same
 * fleet (which machines fail, when, how noisy), so a run can be repeated and
 * a test can count on it. Not for anything secret.
 */

/** A PRNG from a 32-bit seed (mulberry32): fast, 2^32 period, good enough for physics noise. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The seed of device `index` under the run's `seed`: each device gets its own
 * stream, so adding a device or changing the stepping order changes no other
 * device's behaviour. (A murmur3-style finaliser over both numbers.)
 */
export function deviceSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A standard normal sample (Box-Muller) from a uniform source. */
export function gaussian(rng: () => number): number {
  const u = 1 - rng(); // (0, 1]: log(0) would be -Infinity
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** A uniform sample in [min, max). */
export function between(rng: () => number, min: number, max: number): number {
  return min + (max - min) * rng();
}
