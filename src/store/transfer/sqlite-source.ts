import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PlexusError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { StoreErrors } from '../errors.js';
import { openSqlite, type SqliteDb } from '../sqlite/database.js';
import { Database } from '../sqlite/driver.js';
import { type DataDirLock, lockDataDir } from '../sqlite/lock.js';
import { SQLITE_MIGRATIONS } from '../sqlite/migrations.js';
import { recoverJournal } from '../sqlite/telemetry-recover.js';
import { TELEMETRY_FILE, TELEMETRY_MIGRATIONS } from '../sqlite/telemetry-schema.js';
import type { ExportSource } from './backend.js';
import { TransferErrors } from './errors.js';
import type { DbValue } from './format.js';
import { checkSourceTables, quoteIdent, sqliteFileOf, type TransferTable } from './tables.js';

const PAGE_ROWS = 1000;

export function schemaVersion(db: SqliteDb): number {
  const has = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  if (!has) return 0;
  return (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
}

export function latestOf(migrations: readonly { version: number }[]): number {
  return migrations.reduce((m, x) => Math.max(m, x.version), 0);
}

function checkVersion(db: SqliteDb, file: string, latest: number): number {
  const v = schemaVersion(db);
  if (v === latest) return v;
  const fix =
    v < latest
      ? 'start this Plexus once on the data directory (it migrates the schema), stop it, then export'
      : 'export with the newer Plexus that wrote it';
  throw new PlexusError(
    TransferErrors.SCHEMA_MISMATCH,
    `${file} has schema version ${v}, this Plexus exports version ${latest}: ${fix}`,
  );
}

/**
 * Exports a SQLite data directory (plexus.db and telemetry.db). Each file
 * is read inside one read transaction, which in WAL mode is a consistent
 * snapshot even while a Plexus writes it, so a live install can be
 * exported. When no Plexus runs there, the data directory is taken for the
 * export's duration and the telemetry journal applied first (as a start
 * would), so the export holds every point that was acknowledged.
 */
export function openSqliteSource(dataDir: string, log: Logger): ExportSource {
  for (const f of ['plexus.db', TELEMETRY_FILE]) {
    if (!existsSync(join(dataDir, f))) {
      throw new PlexusError(
        TransferErrors.SOURCE_NOT_FOUND,
        `no Plexus database in ${dataDir} (${f} not found): point --data-dir (PLEXUS_DATA_DIR, dataDir in the config) at the data directory`,
      );
    }
  }
  const notes: string[] = [];
  let lock: DataDirLock | undefined;
  try {
    lock = lockDataDir(dataDir);
  } catch (err) {
    if (!(err instanceof PlexusError && err.code === StoreErrors.DATA_DIR_IN_USE.code)) throw err;
    notes.push(
      `Plexus is running on ${dataDir}: exporting a consistent snapshot of each database file as of now (telemetry accepted in the last moments may still be only in the journal)`,
    );
  }
  const dbs: SqliteDb[] = [];
  try {
    if (lock) {
      const tdb = openSqlite(dataDir, TELEMETRY_FILE);
      try {
        checkVersion(tdb, TELEMETRY_FILE, latestOf(TELEMETRY_MIGRATIONS));
        const r = recoverJournal(join(dataDir, 'telemetry-journal'), tdb, log);
        if (r.records > 0)
          notes.push(
            `applied ${r.records} telemetry journal records (${r.points} points) the database did not have yet`,
          );
      } finally {
        tdb.close();
      }
    }
    const open = (f: string) => {
      const db = new Database(join(dataDir, f), { readonly: true, fileMustExist: true });
      db.pragma('busy_timeout = 5000');
      dbs.push(db);
      return db;
    };
    const main = open('plexus.db');
    const telemetry = open(TELEMETRY_FILE);
    const version = checkVersion(main, 'plexus.db', latestOf(SQLITE_MIGRATIONS));
    checkVersion(telemetry, TELEMETRY_FILE, latestOf(TELEMETRY_MIGRATIONS));
    const names = (db: SqliteDb) =>
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map(
        (r) => r.name,
      );
    checkSourceTables([...names(main), ...names(telemetry)], `the data directory ${dataDir}`);
    // Both snapshots start here, back to back (a WAL snapshot begins at the first read).
    for (const db of dbs) {
      db.exec('BEGIN');
      db.prepare('SELECT count(*) FROM sqlite_master').get();
    }
    const dbOf = (t: TransferTable) => (sqliteFileOf(t) === 'plexus.db' ? main : telemetry);
    return {
      schema: { sqlite: version },
      description: `SQLite data directory ${dataDir}`,
      notes,
      async columns(table) {
        return (
          dbOf(table)
            .prepare(`PRAGMA table_info(${quoteIdent(table)})`)
            .all() as { name: string }[]
        ).map((c) => c.name);
      },
      async *rows(table, columns) {
        const stmt = dbOf(table)
          .prepare(`SELECT ${columns.map(quoteIdent).join(', ')} FROM ${quoteIdent(table)}`)
          .raw(true)
          // Integers as bigint: exact past 2^53 (encodeValue writes them as numbers when they fit).
          .safeIntegers(true);
        let page: DbValue[][] = [];
        for (const row of stmt.iterate() as Iterable<DbValue[]>) {
          page.push(row);
          if (page.length >= PAGE_ROWS) {
            yield page;
            page = [];
          }
        }
        if (page.length > 0) yield page;
      },
      async close() {
        for (const db of dbs) if (db.open) db.close();
        lock?.release();
      },
    };
  } catch (err) {
    for (const db of dbs) db.close();
    lock?.release();
    throw err;
  }
}
