import type { Logger } from '../../core/logger.js';
import { type MigrationResult, migrateSqlite, openSqlite, type SqliteDb } from './database.js';
import { moveTelemetryOut, TELEMETRY_FILE, TELEMETRY_MIGRATIONS } from './telemetry-schema.js';

export interface SqliteFiles {
  /** plexus.db: everything but telemetry. */
  readonly db: SqliteDb;
  /** telemetry.db (telemetry-schema.ts). */
  readonly tdb: SqliteDb;
  /** What ran, telemetry.db's migrations named after the file. */
  readonly migrations: MigrationResult[];
}

/**
 * Opens and migrates both SQLite files of a data directory, in the one
 * order that works for an old install: telemetry.db first, then plexus.db
 * hands its telemetry over (moveTelemetryOut) before its migration 9 drops
 * it. On failure both are closed again.
 */
export function openSqliteFiles(dataDir: string, log: Logger): SqliteFiles {
  const db = openSqlite(dataDir);
  let tdb: SqliteDb | undefined;
  try {
    tdb = openSqlite(dataDir, TELEMETRY_FILE);
    const telemetryMigrations = migrateSqlite(tdb, TELEMETRY_MIGRATIONS);
    const moved = moveTelemetryOut(db, tdb);
    if (moved) log.info({ points: moved }, `telemetry moved from plexus.db to ${TELEMETRY_FILE}`);
    const migrations = [
      ...migrateSqlite(db),
      ...telemetryMigrations.map((m) => ({ ...m, name: `${TELEMETRY_FILE}: ${m.name}` })),
    ];
    return { db, tdb, migrations };
  } catch (err) {
    tdb?.close();
    db.close();
    throw err;
  }
}
