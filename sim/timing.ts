import type { Timing } from './pack.js';

/**
 * A sim-time span as a rule duration in real time: "5 min at --speed 60" is
 * `5000ms`. Rules run on the data's wall-clock timestamps, so every duration
 * a pack puts in a rule goes through here. Never below 1 ms (0 is refused).
 */
export function simDuration(simSeconds: number, t: Timing): string {
  return `${Math.max(1, Math.round((simSeconds * 1000) / t.speed))}ms`;
}
