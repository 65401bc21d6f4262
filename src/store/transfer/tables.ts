import { PlexusError } from '../../core/errors.js';
import { TELEMETRY_TABLES } from '../sqlite/telemetry-schema.js';
import { TransferErrors } from './errors.js';

/**
 * The tables an export carries, parents before children (the order the
 * import writes them in, so foreign keys hold at every insert). Both
 * backends use these names and columns (src/store/postgres/schema.ts);
 * the columns themselves are read from the database, not listed here.
 */
export const TRANSFER_TABLES = [
  // registry, operators, audit
  'tenants',
  'profiles',
  'device_groups',
  'devices',
  'group_members',
  'credentials',
  'users',
  'sessions',
  'api_keys',
  'mqtt_users',
  'audit_log',
  // MQTT sessions and messages
  'mqtt_sessions',
  'mqtt_messages',
  'mqtt_retained',
  // control: twins, commands, rules, alarms, outbox
  'twins',
  'commands',
  'command_batches',
  'rules',
  'rule_versions',
  'rule_states',
  'alarms',
  'alarm_comments',
  'outbox',
  // telemetry (SQLite: telemetry.db); raw with series ids, so rollups and points stay consistent
  'telemetry_series',
  'telemetry',
  'telemetry_1m',
  'telemetry_1h',
  'telemetry_latest',
  'device_events',
] as const;

export type TransferTable = (typeof TRANSFER_TABLES)[number];

const KNOWN: ReadonlySet<string> = new Set(TRANSFER_TABLES);

export function isTransferTable(name: string): name is TransferTable {
  return KNOWN.has(name);
}

/**
 * State that belongs to one database and is not carried over: the schema
 * version (the target has its own), SQLite's journal bookkeeping (the
 * journal stays with the old data directory and is applied before export).
 */
export const LOCAL_TABLES: ReadonlySet<string> = new Set([
  'schema_migrations',
  'telemetry_journal_state',
  'telemetry_moved',
]);

/** The SQLite file a table lives in (telemetry-schema.ts). */
export function sqliteFileOf(table: TransferTable): 'plexus.db' | 'telemetry.db' {
  return (TELEMETRY_TABLES as readonly string[]).includes(table) ? 'telemetry.db' : 'plexus.db';
}

/**
 * What a first start writes (tenant `default`, its profile, the admin, a
 * login): a target holding only rows in these tables counts as empty, and
 * the import replaces them. Rows in any other table make it refuse.
 */
export const FIRST_START_TABLES: ReadonlySet<TransferTable> = new Set([
  'tenants',
  'profiles',
  'users',
  'sessions',
  'api_keys',
  'audit_log',
]);

/** Identifiers come from TRANSFER_TABLES or from the database's own catalogue; quoted all the same. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * A source must hold exactly the tables this Plexus knows: a table the
 * export would not carry is data it would silently leave behind.
 */
export function checkSourceTables(present: Iterable<string>, where: string): void {
  const seen = new Set([...present].filter((t) => !LOCAL_TABLES.has(t) && !t.startsWith('sqlite_')));
  const unknown = [...seen].filter((t) => !KNOWN.has(t));
  const missing = TRANSFER_TABLES.filter((t) => !seen.has(t));
  if (unknown.length === 0 && missing.length === 0) return;
  const parts = [
    unknown.length > 0 ? `tables this Plexus does not know: ${unknown.join(', ')}` : '',
    missing.length > 0 ? `tables missing: ${missing.join(', ')}` : '',
  ].filter((p) => p !== '');
  throw new PlexusError(
    TransferErrors.SCHEMA_MISMATCH,
    `${where} does not have the schema this Plexus exports (${parts.join('; ')}): export with the Plexus version that runs on it`,
  );
}
