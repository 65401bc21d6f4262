import Type from 'typebox';
import { AclRuleSchema, MAX_ACL_RULES, SYS_SCOPES } from '../core/topic-acl.js';
import { TenantId } from '../registry/index.js';
import { MQTT_USERNAME_MAX, MQTT_USERNAME_PATTERN } from './mqtt-user-model.js';

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

// ── MQTT users (docs/mqtt-users.md) ─────────────────────────────────────────
// Names and topics get their precise reasons from mqtt-user-model.ts (which
// character is wrong and why), so the body schema checks shape and types only.
const MqttUsernameText =
  'letters, digits, . _ - (1-64, starting with a letter or digit); not "apikey"; no + # / $ @ (they would be topic syntax or the tenant separator)';
// Immutable: the model's rule lists are readonly.
export const AclRules = Type.Immutable(
  Type.Array(AclRuleSchema, {
    maxItems: MAX_ACL_RULES,
    description: 'In order: the first rule that matches decides; no match denies.',
  }),
);
export const SysScopeSchema = Type.Enum(SYS_SCOPES, {
  description:
    "What $SYS/# shows the user: its tenant's figures, or (platform admins only) the whole platform's.",
});
export const MqttUserSchema = Type.Object({
  tenant: Type.String(),
  username: Type.String(),
  rules: AclRules,
  sys: SysScopeSchema,
  createdBy: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  lastLoginAt: Type.Union([Timestamp, Type.Null()]),
});
export const MqttUserWithSecret = Type.Object({
  ...MqttUserSchema.properties,
  secret: Type.String({
    description:
      'Shown once: the MQTT password (CONNECT user name `username@tenant`, or `username` in tenant default).',
  }),
});
export const MqttUserCreate = Type.Object(
  {
    username: Type.String({ maxLength: 256, description: MqttUsernameText }),
    rules: Type.Optional(AclRules),
    sys: Type.Optional(SysScopeSchema),
  },
  { additionalProperties: false },
);
export const MqttUserPatch = Type.Object(
  { rules: Type.Optional(AclRules), sys: Type.Optional(SysScopeSchema) },
  { additionalProperties: false },
);
export const MqttUserParams = Type.Object({
  username: Type.String({ pattern: MQTT_USERNAME_PATTERN, maxLength: MQTT_USERNAME_MAX }),
});
