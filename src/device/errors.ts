/**
 * Errors of the device SDK. Client-side (they never travel on the wire), so
 * they are not part of the server's error catalogue (docs/errors.md); the
 * device SDK guide lists them with how to solve each.
 */

/**
 * - `INVALID_OPTION`: a constructor option is missing or wrong (`option` names it).
 * - `INVALID_ARGUMENT`: a call's argument cannot be sent (`option` names the argument).
 * - `AUTH_FAILED`: the platform refused the id/secret (CONNACK 0x86/0x87/0x85, 3.1.1 codes 2/4/5, HTTP 401).
 * - `UNREACHABLE`: no connection within `connectTimeoutMs`.
 * - `DROPPED`: the offline buffer was full and this (oldest) message made room for a newer one.
 * - `REJECTED`: the platform refused the message itself (MQTT 5 reason code, HTTP 4xx); resending would not help.
 * - `CLOSED`: `close()` ran before the message was acknowledged.
 * - `UNSUPPORTED`: the transport cannot do this.
 */
export type DeviceSdkErrorCode =
  | 'INVALID_OPTION'
  | 'INVALID_ARGUMENT'
  | 'AUTH_FAILED'
  | 'UNREACHABLE'
  | 'DROPPED'
  | 'REJECTED'
  | 'CLOSED'
  | 'UNSUPPORTED';

/**
 * An error of the device SDK: `code` says what kind, `message` what to do.
 *
 * @example
 * try { await dev.connect(); }
 * catch (err) { if (err instanceof DeviceSdkError && err.code === 'AUTH_FAILED') rotateSecret(); }
 */
export class DeviceSdkError extends Error {
  readonly code: DeviceSdkErrorCode;
  /** For INVALID_OPTION / INVALID_ARGUMENT: the option or argument at fault, e.g. `reconnect.minMs`. */
  readonly option: string | undefined;
  /** For AUTH_FAILED / REJECTED over MQTT: the reason code; over HTTP: the status. */
  readonly reasonCode: number | undefined;

  constructor(
    code: DeviceSdkErrorCode,
    message: string,
    extra: { option?: string; reasonCode?: number; cause?: unknown } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'DeviceSdkError';
    this.code = code;
    this.option = extra.option;
    this.reasonCode = extra.reasonCode;
  }
}

/** A failure worth retrying (connection lost, storage busy): the message stays queued. */
export class TransientError extends Error {
  /** When the other side said when to retry (HTTP Retry-After). */
  readonly retryAfterMs: number | undefined;
  /** True when the link itself is gone (reconnect), false when only this send failed. */
  readonly linkDown: boolean;

  constructor(message: string, opts: { retryAfterMs?: number; linkDown?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TransientError';
    this.retryAfterMs = opts.retryAfterMs;
    this.linkDown = opts.linkDown ?? false;
  }
}
