import { CONTROL_SQL } from './schema-control.js';
import { REGISTRY_SQL } from './schema-registry.js';
import { TELEMETRY_SQL } from './schema-telemetry.js';

/** One step of the PostgreSQL schema; never edit a released one, add the next. */
export interface PgMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * The PostgreSQL schema (ARCHITECTURE §7). Tables and columns carry the
 * same names as SQLite's, so `plexus migrate export|import` copies an
 * installation between the backends table by table. Types: TEXT → text,
 * INTEGER → bigint (epoch ms), REAL → double precision; JSON documents are
 * text, as in SQLite, and are parsed by the stores.
 */
export const POSTGRES_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'registry, operators, audit, MQTT sessions, telemetry, twins, commands, rules, alarms, outbox',
    sql: `${REGISTRY_SQL}\n${TELEMETRY_SQL}\n${CONTROL_SQL}`,
  },
  {
    version: 2,
    name: 'MQTT users with topic ACL rules (issue #11)',
    sql: `
CREATE TABLE mqtt_users (
  tenant text COLLATE "C" NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  username text COLLATE "C" NOT NULL,
  rules text NOT NULL,
  sys text NOT NULL,
  secret_hash bytea NOT NULL,
  created_by text NOT NULL,
  created_at text NOT NULL,
  updated_at text NOT NULL,
  last_login_at text,
  PRIMARY KEY (tenant, username)
);`,
  },
];
