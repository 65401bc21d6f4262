import { createHash, timingSafeEqual } from 'node:crypto';
import { randomSecret } from '../core/ids.js';

export interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type ValueType = 'number' | 'boolean' | 'string';

/** One telemetry key a profile declares; `min`/`max` only for numbers. */
export interface TelemetryKeyDef {
  readonly type: ValueType;
  readonly unit?: string;
  readonly min?: number;
  readonly max?: number;
  readonly description?: string;
  /** Raw field the device sends for this key (profile mapping), e.g. `t` for `temperature`. */
  readonly source?: string;
  /** Numbers are stored as raw × scale + offset (unit conversion, fixed-point sensors). */
  readonly scale?: number;
  readonly offset?: number;
}

export type Codec = 'json' | 'cbor' | 'senml+json' | 'senml+cbor';

export interface ProfileSpec {
  readonly codec: Codec;
  readonly telemetry: Record<string, TelemetryKeyDef>;
  /** Seconds without data after which a device counts as offline/inactive. */
  readonly inactivityTimeout: number;
  /** Days raw telemetry and events are kept. */
  readonly retentionDays: number;
  /** Days the per-minute and per-hour rollups are kept (long-range charts). */
  readonly rollupRetentionDays: number;
  /** Extra MQTT topic filters beyond the device's own `devices/{id}/...`, under `m2m/`. */
  readonly grants: { readonly publish: string[]; readonly subscribe: string[] };
  readonly limits: {
    readonly messagesPerSecond: number;
    readonly bytesPerSecond: number;
    readonly burstSeconds: number;
  };
}

export interface Profile extends ProfileSpec {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Group {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type DeviceStatus = 'unknown' | 'online' | 'offline';

export interface Device {
  readonly id: string;
  readonly name: string;
  readonly profile: string;
  readonly groups: string[];
  readonly labels: Record<string, string>;
  /** A disabled device cannot authenticate; its data and twin stay. */
  readonly enabled: boolean;
  readonly status: DeviceStatus;
  readonly lastSeen: string | null;
  readonly firmware: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Credential {
  readonly id: string;
  readonly kind: 'secret';
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

/** A credential as stored: never the secret itself. */
export interface StoredCredential extends Credential {
  readonly secretHash: Buffer;
}

export const DEFAULT_PROFILE_ID = 'default';

/**
 * Defaults of a profile: ARCHITECTURE §6.1 fixes the per-device limits
 * (1,000 msg/s, 1 MB/s, 2-second burst) so a device flushing an offline
 * buffer is not cut off.
 */
export const DEFAULT_PROFILE_SPEC: ProfileSpec = {
  codec: 'json',
  telemetry: {},
  inactivityTimeout: 600,
  retentionDays: 30,
  rollupRetentionDays: 730,
  grants: { publish: [], subscribe: [] },
  limits: { messagesPerSecond: 1000, bytesPerSecond: 1_000_000, burstSeconds: 2 },
};

/** Label keys and values: short, printable, no quotes (they end up in filters). */
export const LABEL_KEY_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$';
export const LABEL_VALUE_PATTERN = '^[^"\\\\\\u0000-\\u001f]{0,128}$';

/**
 * Device secrets are 256-bit random values, so a single SHA-256 is the right
 * hash (ARCHITECTURE §4): no dictionary to slow down, and the broker's auth
 * path stays cheap. scrypt is for human passwords.
 */
export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

export function newDeviceSecret(): { secret: string; hash: Buffer } {
  const secret = randomSecret();
  return { secret, hash: hashSecret(secret) };
}

export function secretMatches(secret: string, hash: Buffer): boolean {
  const h = hashSecret(secret);
  return h.length === hash.length && timingSafeEqual(h, hash);
}

/** Range declared on a numeric key must be ordered; returns the problem or undefined. */
export function telemetryKeyProblem(def: TelemetryKeyDef): string | undefined {
  if (def.type !== 'number' && (def.min !== undefined || def.max !== undefined)) {
    return 'min and max apply only to number keys';
  }
  if (def.min !== undefined && def.max !== undefined && def.min > def.max) return 'min must not exceed max';
  return undefined;
}

/** Grants may only name `m2m/...` filters: a profile cannot widen a device into other devices' topics. */
export function grantProblem(filter: string): string | undefined {
  if (!filter.startsWith('m2m/')) return 'must start with m2m/';
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i] as string;
    if (l === '#' && i !== levels.length - 1) return '# must be the last level';
    if (l !== '#' && l.includes('#')) return '# must occupy a whole level';
    if (l !== '+' && l.includes('+')) return '+ must occupy a whole level';
  }
  if (filter.includes('\u0000')) return 'must not contain NUL';
  return undefined;
}
