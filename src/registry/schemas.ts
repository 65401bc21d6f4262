import Type from 'typebox';
import { ID_PATTERN, TENANT_ID_PATTERN } from '../core/ids.js';
import { LABEL_KEY_PATTERN, LABEL_VALUE_PATTERN } from './model.js';

/** Request and response schemas of the registry: the one source of validation, serialization and OpenAPI. */
export const Id = Type.String({
  pattern: ID_PATTERN,
  description: 'URL-safe id: letters, digits, . _ - (max 128)',
});
export const TenantId = Type.String({
  pattern: TENANT_ID_PATTERN,
  description: 'lower-case letters, digits and - (max 63)',
});
const Name = Type.String({ minLength: 1, maxLength: 200 });
const Description = Type.String({ maxLength: 2000 });
const Timestamp = Type.String({ format: 'date-time' });

export const Labels = Type.Record(
  Type.String({ pattern: LABEL_KEY_PATTERN }),
  Type.String({ pattern: LABEL_VALUE_PATTERN }),
  {
    maxProperties: 64,
    description: 'Free key/value tags used to select devices.',
  },
);

export const IdParams = Type.Object({ id: Id });

// ── tenants ──────────────────────────────────────────────────────────────
export const TenantSchema = Type.Object({
  id: TenantId,
  name: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export const TenantCreate = Type.Object(
  { id: TenantId, name: Type.Optional(Name) },
  { additionalProperties: false },
);
export const TenantPatch = Type.Object({ name: Type.Optional(Name) }, { additionalProperties: false });
export const TenantParams = Type.Object({ id: TenantId });

// ── profiles ─────────────────────────────────────────────────────────────
const TelemetryKey = Type.Object(
  {
    type: Type.Enum(['number', 'boolean', 'string']),
    unit: Type.Optional(Type.String({ maxLength: 32 })),
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    source: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$',
        description: 'Raw field name the device sends for this key.',
      }),
    ),
    scale: Type.Optional(Type.Number({ description: 'Stored value = raw × scale + offset (numbers).' })),
    offset: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
);
const TopicFilter = Type.String({ minLength: 5, maxLength: 256 });
const ProfileFields = {
  name: Type.Optional(Name),
  description: Type.Optional(Description),
  codec: Type.Optional(
    Type.Enum(['json', 'cbor', 'senml+json', 'senml+cbor'], { description: 'Default payload codec.' }),
  ),
  telemetry: Type.Optional(
    Type.Record(Type.String({ pattern: '^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$' }), TelemetryKey, {
      maxProperties: 1000,
      description: 'Declared telemetry keys; points are validated against them.',
    }),
  ),
  inactivityTimeout: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 31_536_000,
      description: 'Seconds without data before a device is inactive.',
    }),
  ),
  retentionDays: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 36_500, description: 'Days raw telemetry and events are kept.' }),
  ),
  rollupRetentionDays: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 36_500,
      description: 'Days per-minute and per-hour rollups are kept.',
    }),
  ),
  grants: Type.Optional(
    Type.Object(
      {
        publish: Type.Optional(Type.Array(TopicFilter, { maxItems: 100 })),
        subscribe: Type.Optional(Type.Array(TopicFilter, { maxItems: 100 })),
      },
      { additionalProperties: false, description: 'Extra m2m/... MQTT topic filters the devices may use.' },
    ),
  ),
  limits: Type.Optional(
    Type.Object(
      {
        messagesPerSecond: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
        bytesPerSecond: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000 })),
        burstSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
      },
      { additionalProperties: false, description: 'Per-device rate limits.' },
    ),
  ),
};
export const ProfileCreate = Type.Object({ id: Id, ...ProfileFields }, { additionalProperties: false });
export const ProfilePatch = Type.Object(ProfileFields, { additionalProperties: false });
export const ProfileSchema = Type.Object({
  id: Id,
  name: Type.String(),
  description: Type.String(),
  codec: Type.String(),
  telemetry: Type.Record(Type.String(), TelemetryKey),
  inactivityTimeout: Type.Integer(),
  retentionDays: Type.Integer(),
  rollupRetentionDays: Type.Integer(),
  grants: Type.Object({ publish: Type.Array(Type.String()), subscribe: Type.Array(Type.String()) }),
  limits: Type.Object({
    messagesPerSecond: Type.Integer(),
    bytesPerSecond: Type.Integer(),
    burstSeconds: Type.Integer(),
  }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

// ── groups ───────────────────────────────────────────────────────────────
export const GroupCreate = Type.Object(
  { id: Id, name: Type.Optional(Name), description: Type.Optional(Description) },
  { additionalProperties: false },
);
export const GroupPatch = Type.Object(
  { name: Type.Optional(Name), description: Type.Optional(Description) },
  { additionalProperties: false },
);
export const GroupSchema = Type.Object({
  id: Id,
  name: Type.String(),
  description: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

// ── devices ──────────────────────────────────────────────────────────────
const Groups = Type.Array(Id, { maxItems: 100, description: 'Ids of existing groups.' });
export const DeviceCreate = Type.Object(
  {
    id: Type.Optional(Id),
    name: Type.Optional(Name),
    profile: Type.Optional(Id),
    groups: Type.Optional(Groups),
    labels: Type.Optional(Labels),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export const DevicePatch = Type.Object(
  {
    name: Type.Optional(Name),
    profile: Type.Optional(Id),
    groups: Type.Optional(Groups),
    labels: Type.Optional(Labels),
    enabled: Type.Optional(Type.Boolean({ description: 'A disabled device cannot connect.' })),
  },
  { additionalProperties: false },
);
const deviceFields = {
  id: Id,
  name: Type.String(),
  profile: Type.String(),
  groups: Type.Array(Type.String()),
  labels: Type.Record(Type.String(), Type.String()),
  enabled: Type.Boolean(),
  status: Type.Enum(['unknown', 'online', 'offline']),
  lastSeen: Type.Union([Timestamp, Type.Null()]),
  firmware: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
};
export const DeviceSchema = Type.Object(deviceFields);
export const CreatedDevice = Type.Object({
  ...deviceFields,
  secret: Type.String({ description: 'Shown once; store it in the device.' }),
});
export const DeviceQuery = Type.Object({
  profile: Type.Optional(Id),
  group: Type.Optional(Id),
  status: Type.Optional(Type.Enum(['unknown', 'online', 'offline'])),
  label: Type.Optional(
    Type.Array(Type.String({ pattern: '^[^=]+=.*$' }), {
      maxItems: 20,
      description: 'key=value, repeatable',
    }),
  ),
  q: Type.Optional(Type.String({ maxLength: 200, description: 'Substring of id or name.' })),
});

// ── credentials ──────────────────────────────────────────────────────────
export const CredentialSchema = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  createdAt: Timestamp,
  lastUsedAt: Type.Union([Timestamp, Type.Null()]),
});
export const NewSecretBody = Type.Optional(
  Type.Object(
    {
      revokeOthers: Type.Optional(
        Type.Boolean({ description: 'Revoke every other credential of the device.' }),
      ),
    },
    { additionalProperties: false },
  ),
);
export const NewSecretSchema = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  createdAt: Timestamp,
  lastUsedAt: Type.Union([Timestamp, Type.Null()]),
  secret: Type.String(),
  revoked: Type.Array(Type.String()),
});
export const CredentialParams = Type.Object({ id: Id, credId: Id });
