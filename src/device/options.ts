import { isValidId, isValidTenantId } from '../core/ids.js';
import { DeviceSdkError } from './errors.js';

/** Payload format of telemetry: JSON, CBOR, or SenML (RFC 8428, JSON representation). */
export type DeviceFormat = 'json' | 'cbor' | 'senml';

/**
 * Options of `new PlexusDevice(...)`. Every one is checked in the
 * constructor; a wrong one throws `DeviceSdkError` `INVALID_OPTION` naming it.
 */
export interface DeviceOptions {
  /** `mqtt://host:1883`, `mqtts://host:8883`, `ws://host:8080/mqtt`, `wss://...`, or `http(s)://host:8080` (device HTTP API). */
  readonly url: string;
  /** The device id, as created on the platform (also the MQTT client id). */
  readonly id: string;
  /** The device secret, shown once when the device (or a new secret) was created. */
  readonly secret: string;
  /** The device's tenant; omit for tenant `default`. The user name becomes `id@tenant`. */
  readonly tenant?: string;
  /** MQTT protocol version: 5 (default) or 4 (MQTT 3.1.1). MQTT urls only. */
  readonly mqttVersion?: 5 | 4;
  /** Telemetry payload format (default `json`). Events and documents go as JSON (CBOR with `cbor`). */
  readonly format?: DeviceFormat;
  /** TLS for mqtts:, wss:, https: a private CA to trust, or (tests only) no verification. */
  readonly tls?: { readonly ca?: string | Buffer; readonly rejectUnauthorized?: boolean };
  /** Messages kept while offline or unacknowledged (default 10,000); the oldest is dropped beyond. */
  readonly bufferLimit?: number;
  /** Reconnect delays: full-jitter exponential backoff between minMs (default 1,000) and maxMs (default 30,000). */
  readonly reconnect?: { readonly minMs?: number; readonly maxMs?: number };
  /** MQTT keep-alive in seconds (default 30; 0 turns it off). MQTT urls only. */
  readonly keepalive?: number;
  /** HTTP long-poll wait for commands and desired state in ms (default 30,000; 1,000..55,000). HTTP urls only. */
  readonly pollMs?: number;
  /** connect() rejects with UNREACHABLE when not connected by then (default: keep trying). */
  readonly connectTimeoutMs?: number;
  /** Most buffered messages sent in one payload while catching up (default 500). */
  readonly batchSize?: number;
}

export type Transport = 'mqtt' | 'http';

/** Options after validation, with defaults filled in. */
export interface ResolvedOptions {
  readonly transport: Transport;
  readonly url: URL;
  readonly id: string;
  readonly secret: string;
  readonly tenant: string | undefined;
  /** `id` or `id@tenant` (MQTT user name, HTTP Basic user). */
  readonly username: string;
  readonly mqttVersion: 5 | 4;
  readonly format: DeviceFormat;
  readonly tls: { readonly ca?: string | Buffer; readonly rejectUnauthorized: boolean } | undefined;
  readonly bufferLimit: number;
  readonly reconnect: { readonly minMs: number; readonly maxMs: number };
  readonly keepalive: number;
  readonly pollMs: number;
  readonly connectTimeoutMs: number | undefined;
  readonly batchSize: number;
}

export const DEFAULTS = {
  mqttVersion: 5,
  format: 'json',
  bufferLimit: 10_000,
  reconnect: { minMs: 1_000, maxMs: 30_000 },
  keepalive: 30,
  pollMs: 30_000,
  batchSize: 500,
} as const;

const KNOWN = new Set([
  'url',
  'id',
  'secret',
  'tenant',
  'mqttVersion',
  'format',
  'tls',
  'bufferLimit',
  'reconnect',
  'keepalive',
  'pollMs',
  'connectTimeoutMs',
  'batchSize',
]);
const PROTOCOLS: Readonly<Record<string, Transport>> = {
  'mqtt:': 'mqtt',
  'mqtts:': 'mqtt',
  'ws:': 'mqtt',
  'wss:': 'mqtt',
  'http:': 'http',
  'https:': 'http',
};
const SECURE = new Set(['mqtts:', 'wss:', 'https:']);

function fail(option: string, message: string): never {
  throw new DeviceSdkError('INVALID_OPTION', `${option}: ${message}`, { option });
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v);
  if (v === null || typeof v !== 'object') return String(v);
  return Array.isArray(v) ? 'an array' : 'an object';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function int(option: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    fail(option, `must be an integer from ${min} to ${max}, not ${show(v)}`);
  }
  return v;
}

function onlyKeys(option: string, v: Record<string, unknown>, keys: readonly string[]): void {
  for (const k of Object.keys(v)) {
    if (!keys.includes(k)) fail(`${option}.${k}`, `unknown option (known: ${keys.join(', ')})`);
  }
}

/**
 * Checks the constructor options (pure): the first problem throws
 * `DeviceSdkError('INVALID_OPTION')` with `option` naming the field.
 *
 * @example
 * validateOptions({ url: 'mqtt://127.0.0.1:1883', id: 'press-7', secret: 's3cret' }).username; // 'press-7'
 */
export function validateOptions(raw: unknown): ResolvedOptions {
  if (!isObject(raw)) fail('options', `must be an object with url, id and secret, not ${show(raw)}`);
  for (const k of Object.keys(raw)) {
    if (!KNOWN.has(k)) fail(k, `unknown option (known: ${[...KNOWN].join(', ')})`);
  }
  const o = raw as Record<string, unknown> & { [K in keyof DeviceOptions]?: unknown };

  if (typeof o.url !== 'string' || o.url === '') fail('url', `must be a URL string, not ${show(o.url)}`);
  let url: URL;
  try {
    url = new URL(o.url);
  } catch {
    fail('url', `${show(o.url)} is not a URL (e.g. mqtt://127.0.0.1:1883)`);
  }
  const transport = PROTOCOLS[url.protocol];
  if (!transport) {
    fail('url', `protocol ${url.protocol} is not one of mqtt:, mqtts:, ws:, wss:, http:, https:`);
  }
  if (url.username || url.password) fail('url', 'must not carry credentials: use id and secret');

  if (typeof o.id !== 'string' || !isValidId(o.id)) {
    fail(
      'id',
      `must be a device id (letters, digits, . _ -, at most 128, starting with a letter or digit), not ${show(o.id)}`,
    );
  }
  if (typeof o.secret !== 'string' || o.secret === '' || o.secret.length > 1024) {
    fail('secret', 'must be the device secret, a non-empty string (at most 1,024 characters)');
  }
  if (o.tenant !== undefined && (typeof o.tenant !== 'string' || !isValidTenantId(o.tenant))) {
    fail('tenant', `must be a tenant id (lower-case letters, digits, -), not ${show(o.tenant)}`);
  }

  const mqttOnly = (name: 'mqttVersion' | 'keepalive') => {
    if (o[name] !== undefined && transport !== 'mqtt')
      fail(name, `applies to mqtt:, mqtts:, ws:, wss: urls only`);
  };
  mqttOnly('mqttVersion');
  mqttOnly('keepalive');
  if (o.mqttVersion !== undefined && o.mqttVersion !== 4 && o.mqttVersion !== 5) {
    fail('mqttVersion', `must be 5 or 4 (MQTT 3.1.1), not ${show(o.mqttVersion)}`);
  }
  if (o.format !== undefined && o.format !== 'json' && o.format !== 'cbor' && o.format !== 'senml') {
    fail('format', `must be 'json', 'cbor' or 'senml', not ${show(o.format)}`);
  }
  if (o.pollMs !== undefined && transport !== 'http') fail('pollMs', 'applies to http: and https: urls only');

  let tls: ResolvedOptions['tls'];
  if (o.tls !== undefined) {
    if (!SECURE.has(url.protocol)) fail('tls', `applies to mqtts:, wss:, https: urls, not ${url.protocol}`);
    if (!isObject(o.tls)) fail('tls', `must be an object { ca?, rejectUnauthorized? }, not ${show(o.tls)}`);
    onlyKeys('tls', o.tls, ['ca', 'rejectUnauthorized']);
    const { ca, rejectUnauthorized } = o.tls;
    if (ca !== undefined && typeof ca !== 'string' && !Buffer.isBuffer(ca)) {
      fail('tls.ca', 'must be a PEM string or a Buffer');
    }
    if (rejectUnauthorized !== undefined && typeof rejectUnauthorized !== 'boolean') {
      fail('tls.rejectUnauthorized', `must be a boolean, not ${show(rejectUnauthorized)}`);
    }
    tls = { ...(ca === undefined ? {} : { ca }), rejectUnauthorized: rejectUnauthorized ?? true };
  }

  let reconnect: { minMs: number; maxMs: number } = { ...DEFAULTS.reconnect };
  if (o.reconnect !== undefined) {
    if (!isObject(o.reconnect))
      fail('reconnect', `must be an object { minMs?, maxMs? }, not ${show(o.reconnect)}`);
    onlyKeys('reconnect', o.reconnect, ['minMs', 'maxMs']);
    const minMs =
      o.reconnect.minMs === undefined ? undefined : int('reconnect.minMs', o.reconnect.minMs, 1, 3_600_000);
    const maxMs =
      o.reconnect.maxMs === undefined ? undefined : int('reconnect.maxMs', o.reconnect.maxMs, 1, 3_600_000);
    reconnect = {
      minMs: minMs ?? Math.min(DEFAULTS.reconnect.minMs, maxMs ?? Number.POSITIVE_INFINITY),
      maxMs: maxMs ?? Math.max(DEFAULTS.reconnect.maxMs, minMs ?? 0),
    };
    if (reconnect.maxMs < reconnect.minMs) {
      fail('reconnect.maxMs', `(${reconnect.maxMs}) must not be below reconnect.minMs (${reconnect.minMs})`);
    }
  }

  const tenant = o.tenant as string | undefined;
  return {
    transport,
    url,
    id: o.id,
    secret: o.secret,
    tenant,
    username: tenant === undefined ? o.id : `${o.id}@${tenant}`,
    mqttVersion: (o.mqttVersion as 5 | 4 | undefined) ?? DEFAULTS.mqttVersion,
    format: (o.format as DeviceFormat | undefined) ?? DEFAULTS.format,
    tls,
    bufferLimit:
      o.bufferLimit === undefined ? DEFAULTS.bufferLimit : int('bufferLimit', o.bufferLimit, 1, 10_000_000),
    reconnect,
    keepalive: o.keepalive === undefined ? DEFAULTS.keepalive : int('keepalive', o.keepalive, 0, 65_535),
    pollMs: o.pollMs === undefined ? DEFAULTS.pollMs : int('pollMs', o.pollMs, 1_000, 55_000),
    connectTimeoutMs:
      o.connectTimeoutMs === undefined
        ? undefined
        : int('connectTimeoutMs', o.connectTimeoutMs, 1, 86_400_000),
    batchSize: o.batchSize === undefined ? DEFAULTS.batchSize : int('batchSize', o.batchSize, 1, 10_000),
  };
}
