export const ROLES = ['admin', 'operator', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  readonly username: string;
  readonly tenant: string;
  readonly role: Role;
  /** Platform admins manage tenants and may act in any tenant (`Plexus-Tenant` header). */
  readonly platformAdmin: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastLoginAt: string | null;
}

export interface StoredUser extends User {
  readonly passwordHash: string;
}

export interface Session {
  readonly tokenHash: Buffer;
  readonly username: string;
  readonly createdAt: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

export interface ApiKey {
  readonly id: string;
  readonly tenant: string;
  readonly name: string;
  readonly role: Role;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

export interface StoredApiKey extends ApiKey {
  readonly keyHash: Buffer;
}

/** Who is making a request, after authentication. */
export interface Principal {
  readonly kind: 'user' | 'apikey';
  /** User name or API key id. */
  readonly id: string;
  /** The tenant the principal belongs to. */
  readonly tenant: string;
  readonly role: Role;
  readonly platformAdmin: boolean;
}

export type Permission =
  | 'registry:read'
  | 'telemetry:read'
  | 'devices:write'
  | 'groups:write'
  | 'profiles:write'
  | 'users:read'
  | 'users:write'
  | 'apikeys:read'
  | 'apikeys:write'
  | 'mqtt-users:read'
  | 'mqtt-users:write'
  | 'audit:read'
  | 'tenants:manage';

/** How a refused permission reads in an error message. */
export const PERMISSION_TEXT: Readonly<Record<Permission, string>> = {
  'registry:read': 'read the registry',
  'telemetry:read': 'read telemetry, events and live data',
  'devices:write': 'manage devices',
  'groups:write': 'manage groups',
  'profiles:write': 'manage profiles',
  'users:read': 'read users',
  'users:write': 'manage users',
  'apikeys:read': 'read API keys',
  'apikeys:write': 'manage API keys',
  'mqtt-users:read': 'read MQTT users',
  'mqtt-users:write': 'manage MQTT users',
  'audit:read': 'read the audit log',
  'tenants:manage': 'manage tenants',
};

const VIEWER: readonly Permission[] = ['registry:read', 'telemetry:read'];
const OPERATOR: readonly Permission[] = [...VIEWER, 'devices:write', 'groups:write'];
const ADMIN: readonly Permission[] = [
  ...OPERATOR,
  'profiles:write',
  'users:read',
  'users:write',
  'apikeys:read',
  'apikeys:write',
  // MQTT users are credentials that reach the tenant's topics, devices' included: governed like API keys.
  'mqtt-users:read',
  'mqtt-users:write',
  'audit:read',
];

/**
 * Least privilege per role: viewers read, operators run the fleet (devices,
 * credentials, groups), admins also shape it (profiles) and govern access
 * (users, API keys, MQTT users, audit). Managing tenants is for platform admins only.
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  viewer: new Set(VIEWER),
  operator: new Set(OPERATOR),
  admin: new Set(ADMIN),
};

export function can(p: Principal, perm: Permission): boolean {
  return p.platformAdmin || ROLE_PERMISSIONS[p.role].has(perm);
}

const ROLE_RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** A principal may hand out roles up to its own (an API key cannot mint a stronger one). */
export function mayGrant(p: Principal, role: Role): boolean {
  return p.platformAdmin || ROLE_RANK[role] <= ROLE_RANK[p.role];
}

export const SESSION_TOKEN_PREFIX = 'pxs_';
export const API_KEY_PREFIX = 'pxk_';
