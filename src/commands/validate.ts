import { parseDuration } from '../core/duration.js';
import { PlexusError } from '../core/errors.js';
import { CommandErrors } from './errors.js';
import type { Command } from './model.js';

/** What a caller asks for (REST body, later rules and rollouts). */
export interface CommandInput {
  readonly name: string;
  /** A JSON object (checked here, as everything else: callers pass what they were given). */
  readonly params?: unknown;
  /** Answer expected within this long after sending: `30s`, `5m`, or seconds (default 30 s). */
  readonly timeout?: unknown;
  /** Not sent within this long: expired (default 1 day). */
  readonly ttl?: unknown;
  /** No answer expected: finished once delivered. */
  readonly oneWay?: boolean;
}

/** Which devices a group send reaches. */
export interface CommandTarget {
  readonly group?: string;
  readonly profile?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX_PARAMS_BYTES = 65_536;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_TTL_MS = 86_400_000;
const MAX_TTL_MS = 30 * 86_400_000;
const durationOf = (v: unknown) =>
  typeof v === 'string' || typeof v === 'number' ? parseDuration(v) : undefined;

const invalid = (message: string, path: string) =>
  new PlexusError(CommandErrors.INVALID, message, { errors: [{ path, message }] });

/**
 * Checks what a caller asked for and fills in the defaults: the fields of a
 * new `queued` command. Every caller passes what it was given (REST body,
 * rule action), so each field is checked here, with its path.
 */
export function validateCommand(
  input: CommandInput,
  now: number,
): Omit<Command, 'id' | 'tenant' | 'device' | 'actor'> {
  if (typeof input.name !== 'string' || !NAME.test(input.name)) {
    throw invalid(
      'name must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
      '/body/name',
    );
  }
  const params = (input.params === undefined ? {} : input.params) as Record<string, unknown>;
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw invalid('params must be a JSON object', '/body/params');
  }
  if (Buffer.byteLength(JSON.stringify(params)) > MAX_PARAMS_BYTES) {
    throw invalid(`params must be at most ${MAX_PARAMS_BYTES} bytes of JSON`, '/body/params');
  }
  const timeoutMs = input.timeout === undefined ? DEFAULT_TIMEOUT_MS : durationOf(input.timeout);
  if (timeoutMs === undefined || timeoutMs < 1000 || timeoutMs > 86_400_000) {
    throw invalid('timeout must be between 1s and 1d (e.g. "30s", "5m" or seconds)', '/body/timeout');
  }
  const ttlMs = input.ttl === undefined ? DEFAULT_TTL_MS : durationOf(input.ttl);
  if (ttlMs === undefined || ttlMs < 1000 || ttlMs > MAX_TTL_MS) {
    throw invalid('ttl must be between 1s and 30d (e.g. "10m", "1d" or seconds)', '/body/ttl');
  }
  return {
    name: input.name,
    params,
    oneWay: input.oneWay === true,
    status: 'queued',
    createdAt: now,
    expiresAt: now + ttlMs,
    timeoutMs,
  };
}
