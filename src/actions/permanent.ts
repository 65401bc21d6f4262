import { PlexusError } from '../core/errors.js';

/** An action that cannot succeed by being tried again (the outbox marks it failed at once). */
export class PermanentError extends Error {}

/** Answers worth retrying: the receiver (or this platform) may say yes later. */
const TRANSIENT = new Set([408, 409, 425, 429]);

/** Whether an outside HTTP status is a final refusal (see isPermanent). */
export const isFinalStatus = (status: number): boolean =>
  status >= 400 && status < 500 && !TRANSIENT.has(status);

/**
 * Whether a failure is final: a refusal of the request itself (4xx other
 * than time-outs, conflicts and throttling), from an outside receiver or
 * from this platform (a command to a deleted device, a twin patch too
 * large), or an address the server may not call. Network errors, time-outs
 * and 5xx are retried.
 */
export function isPermanent(err: unknown): boolean {
  if (err instanceof PermanentError) return true;
  return err instanceof PlexusError && isFinalStatus(err.status);
}
