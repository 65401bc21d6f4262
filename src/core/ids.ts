import { randomBytes } from 'node:crypto';

/**
 * Ids that appear in topics and URLs: a letter or digit first, then letters,
 * digits, `.`, `_`, `-`. No `/`, `+`, `#` (MQTT wildcards and levels) and no
 * `@` (it separates a device id from its tenant in MQTT user names).
 */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$';
const ID_RE = new RegExp(ID_PATTERN);

/** Tenant ids are lower case: they end up in user names, topics and URLs. */
export const TENANT_ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';
const TENANT_ID_RE = new RegExp(TENANT_ID_PATTERN);

export function isValidId(id: string): boolean {
  return ID_RE.test(id);
}

export function isValidTenantId(id: string): boolean {
  return TENANT_ID_RE.test(id);
}

/** A random URL-safe id with a readable prefix, e.g. `dev-3f9a1c2b7e4d`. */
export function randomId(prefix: string, bytes = 6): string {
  return `${prefix}-${randomBytes(bytes).toString('hex')}`;
}

/** 256 bits of randomness, URL-safe, for secrets, tokens and keys. */
export function randomSecret(prefix = ''): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** `press-7@acme` → `{id: 'press-7', tenant: 'acme'}`; no `@` means tenant `default` (ARCHITECTURE §5; MQTT username and HTTP Basic user alike). */
export function splitUsername(username: string): { id: string; tenant: string } {
  const at = username.lastIndexOf('@');
  if (at < 0) return { id: username, tenant: 'default' };
  return { id: username.slice(0, at), tenant: username.slice(at + 1) };
}
