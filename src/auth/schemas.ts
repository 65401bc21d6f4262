import Type from 'typebox';
import { TenantId } from '../registry/index.js';

export const Username = Type.String({
  pattern: '^[A-Za-z0-9._-]{1,64}$',
  description: 'letters, digits, . _ - (max 64)',
});
export const Password = Type.String({ minLength: 8, maxLength: 256, description: 'at least 8 characters' });
export const RoleSchema = Type.Enum(['admin', 'operator', 'viewer']);
const Timestamp = Type.String({ format: 'date-time' });

export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);

export const UserSchema = Type.Object({
  username: Username,
  tenant: Type.String(),
  role: RoleSchema,
  platformAdmin: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  lastLoginAt: Type.Union([Timestamp, Type.Null()]),
});

export const LoginResponse = Type.Object({ token: Type.String(), expiresAt: Timestamp, user: UserSchema });

export const MeResponse = Type.Object({
  kind: Type.Enum(['user', 'apikey']),
  id: Type.String(),
  tenant: Type.String(),
  role: RoleSchema,
  platformAdmin: Type.Boolean(),
  actingTenant: Type.String(),
});

export const UserCreate = Type.Object(
  {
    username: Username,
    password: Password,
    role: RoleSchema,
    tenant: Type.Optional(TenantId),
  },
  { additionalProperties: false },
);
export const UserPatch = Type.Object(
  { password: Type.Optional(Password), role: Type.Optional(RoleSchema) },
  { additionalProperties: false },
);
export const UserParams = Type.Object({ username: Username });

export const ApiKeySchema = Type.Object({
  id: Type.String(),
  tenant: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  createdBy: Type.String(),
  createdAt: Timestamp,
  lastUsedAt: Type.Union([Timestamp, Type.Null()]),
});
export const CreatedApiKey = Type.Object({
  ...ApiKeySchema.properties,
  key: Type.String({ description: 'Shown once; send it as Authorization: Bearer <key>.' }),
});
export const ApiKeyCreate = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }), role: RoleSchema },
  { additionalProperties: false },
);
export const ApiKeyParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9._-]{1,128}$' }) });
