import { JOURNAL_STATE_SQL, TELEMETRY_TABLES, TELEMETRY_TABLES_SQL } from './telemetry-schema.js';

/**
 * Versioned migrations of the SQLite schema. Each runs in its own
 * transaction with its version row, so a failure leaves the schema as it was.
 * Never edit a released migration: add the next one.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'registry, operators and audit',
    sql: `
CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE profiles (
  tenant TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  spec TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (tenant, id)
) STRICT;

CREATE TABLE device_groups (
  tenant TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (tenant, id)
) STRICT;

CREATE TABLE devices (
  tenant TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  profile TEXT NOT NULL,
  labels TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  status TEXT NOT NULL,
  last_seen TEXT,
  firmware TEXT,
  search TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (tenant, id),
  FOREIGN KEY (tenant, profile) REFERENCES profiles(tenant, id)
) STRICT;
CREATE INDEX devices_profile ON devices(tenant, profile);

CREATE TABLE group_members (
  tenant TEXT NOT NULL,
  group_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  PRIMARY KEY (tenant, group_id, device_id),
  FOREIGN KEY (tenant, group_id) REFERENCES device_groups(tenant, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant, device_id) REFERENCES devices(tenant, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX group_members_device ON group_members(tenant, device_id);

CREATE TABLE credentials (
  tenant TEXT NOT NULL,
  device TEXT NOT NULL,
  id TEXT NOT NULL,
  kind TEXT NOT NULL,
  secret_hash BLOB NOT NULL,
  created_at TEXT NOT NULL,
  last_used_at TEXT,
  PRIMARY KEY (tenant, device, id),
  FOREIGN KEY (tenant, device) REFERENCES devices(tenant, id) ON DELETE CASCADE
) STRICT;

CREATE TABLE users (
  username TEXT PRIMARY KEY,
  tenant TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  platform_admin INTEGER NOT NULL,
  password_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  last_login_at TEXT
) STRICT;
CREATE INDEX users_tenant ON users(tenant, username);

CREATE TABLE sessions (
  token_hash BLOB PRIMARY KEY,
  username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_user ON sessions(username);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  key_hash BLOB NOT NULL UNIQUE,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_used_at TEXT
) STRICT;
CREATE INDEX api_keys_tenant ON api_keys(tenant, id);

CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  ts TEXT NOT NULL,
  tenant TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  resource TEXT NOT NULL,
  resource_id TEXT,
  status INTEGER NOT NULL,
  ip TEXT,
  details TEXT
) STRICT;
CREATE INDEX audit_tenant ON audit_log(tenant, seq);
`,
  },
  {
    version: 2,
    name: 'MQTT sessions, queued messages and retained messages',
    sql: `
CREATE TABLE mqtt_sessions (
  tenant TEXT NOT NULL,
  client_id TEXT NOT NULL,
  identity TEXT NOT NULL,
  expiry_interval INTEGER NOT NULL,
  disconnected_at INTEGER,
  subscriptions TEXT NOT NULL,
  will TEXT,
  PRIMARY KEY (tenant, client_id)
) STRICT;

CREATE TABLE mqtt_messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant TEXT NOT NULL,
  client_id TEXT NOT NULL,
  topic TEXT NOT NULL,
  payload BLOB NOT NULL,
  qos INTEGER NOT NULL,
  retain INTEGER NOT NULL,
  properties TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  publisher TEXT,
  out_qos INTEGER NOT NULL,
  out_retain INTEGER NOT NULL,
  subscription_ids TEXT NOT NULL,
  packet_id INTEGER,
  state TEXT
) STRICT;
CREATE INDEX mqtt_messages_session ON mqtt_messages(tenant, client_id, seq);

CREATE TABLE mqtt_retained (
  tenant TEXT NOT NULL,
  topic TEXT NOT NULL,
  payload BLOB NOT NULL,
  qos INTEGER NOT NULL,
  properties TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (tenant, topic)
) STRICT;
`,
  },
  {
    version: 3,
    name: 'telemetry: series, raw points, rollups, latest values, events',
    sql: TELEMETRY_TABLES_SQL,
  },
  {
    version: 4,
    name: 'telemetry: journal records applied',
    sql: JOURNAL_STATE_SQL,
  },
  {
    version: 5,
    name: 'twins: desired and reported state per device',
    sql: `
-- JSON documents; *_updated maps each leaf's dotted path to its last change (epoch ms).
-- version grows with every change of either side: writes compare-and-set on it.
CREATE TABLE twins (
  tenant TEXT NOT NULL,
  device TEXT NOT NULL,
  version INTEGER NOT NULL,
  desired TEXT NOT NULL,
  desired_version INTEGER NOT NULL,
  desired_updated TEXT NOT NULL,
  reported TEXT NOT NULL,
  reported_version INTEGER NOT NULL,
  reported_updated TEXT NOT NULL,
  PRIMARY KEY (tenant, device)
) STRICT, WITHOUT ROWID;
`,
  },
  {
    version: 6,
    name: 'commands: durable per-device queue, statuses, group sends',
    sql: `
-- seq: creation order, which is also the delivery order per device.
-- params, result, error: JSON. Times: epoch ms.
CREATE TABLE commands (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant TEXT NOT NULL,
  device TEXT NOT NULL,
  name TEXT NOT NULL,
  params TEXT NOT NULL,
  one_way INTEGER NOT NULL,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  timeout_ms INTEGER NOT NULL,
  sent_at INTEGER,
  delivered_at INTEGER,
  completed_at INTEGER,
  result TEXT,
  error TEXT,
  actor TEXT NOT NULL,
  batch TEXT
) STRICT;
CREATE INDEX commands_device ON commands(tenant, device, status, seq);
CREATE INDEX commands_open ON commands(status, expires_at) WHERE status IN ('queued', 'sent', 'delivered');
CREATE INDEX commands_batch ON commands(tenant, batch) WHERE batch IS NOT NULL;
CREATE INDEX commands_tenant ON commands(tenant, seq);

CREATE TABLE command_batches (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  name TEXT NOT NULL,
  target TEXT NOT NULL,
  total INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  actor TEXT NOT NULL
) STRICT;
`,
  },
  {
    version: 7,
    name: 'rules, rule versions, per-device rule state, alarms',
    sql: `
-- A rule per (tenant, name); every saved change is a new version, kept in rule_versions.
CREATE TABLE rules (
  tenant TEXT NOT NULL,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  enabled INTEGER NOT NULL,
  spec TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  PRIMARY KEY (tenant, name)
) STRICT;

CREATE TABLE rule_versions (
  tenant TEXT NOT NULL,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  spec TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  PRIMARY KEY (tenant, name, version)
) STRICT;

-- The engine's per-device state of each rule (JSON), so windows and durations survive a restart.
CREATE TABLE rule_state (
  tenant TEXT NOT NULL,
  rule TEXT NOT NULL,
  version INTEGER NOT NULL,
  device TEXT NOT NULL,
  state TEXT NOT NULL,
  firing INTEGER NOT NULL,
  last_action_at INTEGER,
  PRIMARY KEY (tenant, rule, device)
) STRICT, WITHOUT ROWID;

-- status: active, acknowledged, cleared. One open (not cleared) alarm per dedup key.
CREATE TABLE alarms (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant TEXT NOT NULL,
  device TEXT NOT NULL,
  rule TEXT,
  type TEXT NOT NULL,
  severity TEXT NOT NULL,
  status TEXT NOT NULL,
  message TEXT NOT NULL,
  dedup_key TEXT NOT NULL,
  details TEXT,
  raised_at INTEGER NOT NULL,
  last_at INTEGER NOT NULL,
  count INTEGER NOT NULL,
  acknowledged_at INTEGER,
  acknowledged_by TEXT,
  cleared_at INTEGER,
  cleared_by TEXT
) STRICT;
CREATE UNIQUE INDEX alarms_open ON alarms(tenant, dedup_key) WHERE status != 'cleared';
CREATE INDEX alarms_tenant ON alarms(tenant, status, seq);
CREATE INDEX alarms_device ON alarms(tenant, device, seq);

CREATE TABLE alarm_comments (
  seq INTEGER PRIMARY KEY,
  alarm TEXT NOT NULL,
  tenant TEXT NOT NULL,
  at INTEGER NOT NULL,
  author TEXT NOT NULL,
  text TEXT NOT NULL
) STRICT;
CREATE INDEX alarm_comments_alarm ON alarm_comments(alarm, seq);
`,
  },
  {
    version: 8,
    name: 'outbox: durable queue of rule actions',
    sql: `
-- One row per action to carry out (already rendered): done, or retried with backoff until it fails for good.
CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant TEXT NOT NULL,
  rule TEXT NOT NULL,
  device TEXT NOT NULL,
  kind TEXT NOT NULL,
  action TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  next_at INTEGER NOT NULL,
  done_at INTEGER,
  last_error TEXT
) STRICT;
CREATE INDEX outbox_due ON outbox(next_at) WHERE status = 'pending';
CREATE INDEX outbox_tenant ON outbox(tenant, seq);
`,
  },
  {
    version: 9,
    name: 'telemetry moved to telemetry.db',
    // Copied there first (telemetry-schema.ts moveTelemetryOut): the telemetry writer's long
    // commits no longer hold the lock that alarms, the outbox and sessions write under.
    sql: TELEMETRY_TABLES.map((t) => `DROP TABLE ${t};`).join('\n'),
  },
  {
    version: 10,
    name: 'rule state: one row per device',
    sql: `
-- All rule states of one device in one row (rule name -> [version, state, firing, last_action_at]):
-- a snapshot writes one row per changed device instead of one per rule and device.
CREATE TABLE rule_states (
  tenant TEXT NOT NULL,
  device TEXT NOT NULL,
  states TEXT NOT NULL,
  PRIMARY KEY (tenant, device)
) STRICT;
INSERT INTO rule_states (tenant, device, states)
  SELECT tenant, device, json_group_object(rule, json_array(version, json(state), firing, last_action_at))
  FROM rule_state GROUP BY tenant, device;
DROP TABLE rule_state;
`,
  },
  {
    version: 11,
    name: 'outbox: index for the per-rule throttle',
    // lastQueued (every firing of a throttled rule) scanned the tenant's whole outbox history.
    sql: 'CREATE INDEX outbox_last ON outbox(tenant, rule, device, created_at);',
  },
  {
    version: 12,
    name: 'MQTT users with topic ACL rules (issue #11)',
    sql: `
-- Plain MQTT clients of a tenant: rules are a JSON array of {permission, action, topic}, in order.
CREATE TABLE mqtt_users (
  tenant TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  username TEXT NOT NULL,
  rules TEXT NOT NULL,
  sys TEXT NOT NULL,
  secret_hash BLOB NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  last_login_at TEXT,
  PRIMARY KEY (tenant, username)
) STRICT;
`,
  },
];
