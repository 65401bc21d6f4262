import { join } from 'node:path';
import type { Logger } from '../../core/logger.js';
import { type SqliteDb, statementCache } from '../sqlite/database.js';
import { type DataDirLock, lockDataDir } from '../sqlite/lock.js';
import { SQLITE_MIGRATIONS } from '../sqlite/migrations.js';
import { openSqliteFiles } from '../sqlite/open.js';
import { listSegments, readSegment } from '../sqlite/telemetry-journal.js';
import type { ImportTarget, TargetColumn } from './backend.js';
import { latestOf } from './sqlite-source.js';
import { quoteIdent, sqliteFileOf, TRANSFER_TABLES, type TransferTable } from './tables.js';

interface ColumnInfo {
  name: string;
  notnull: number;
  dflt_value: unknown;
}

/** Journal records the telemetry tables do not hold yet: data a start would replay. */
function pendingJournalRecords(dataDir: string, tdb: SqliteDb): number {
  const applied =
    (tdb.prepare('SELECT seq FROM telemetry_journal_state').get() as { seq: number } | undefined)?.seq ?? 0;
  let n = 0;
  for (const s of listSegments(join(dataDir, 'telemetry-journal'))) {
    n += readSegment(s.file).records.filter((r) => r.seq > applied).length;
  }
  return n;
}

/**
 * Imports into a SQLite data directory, created and migrated as a start
 * would (and held, so no Plexus starts on it meanwhile). plexus.db is
 * written in one transaction, committed last; telemetry.db, the bulk, in
 * batch transactions that a failure deletes again (its tables were empty:
 * the import only writes into an empty store). So a failed import leaves
 * both files as they were.
 */
export function openSqliteTarget(dataDir: string, log: Logger): ImportTarget {
  const lock: DataDirLock = lockDataDir(dataDir);
  let db: SqliteDb | undefined;
  let tdb: SqliteDb | undefined;
  try {
    ({ db, tdb } = openSqliteFiles(dataDir, log));
  } catch (err) {
    lock.release();
    throw err;
  }
  const main = db;
  const telemetry = tdb;
  const prepareMain = statementCache(main);
  const prepareTelemetry = statementCache(telemetry);
  const dbOf = (t: TransferTable) => (sqliteFileOf(t) === 'plexus.db' ? main : telemetry);
  const telemetryTables = TRANSFER_TABLES.filter((t) => sqliteFileOf(t) === 'telemetry.db');
  let wroteTelemetry = false;
  return {
    description: `SQLite data directory ${dataDir}`,
    schema: { sqlite: latestOf(SQLITE_MIGRATIONS) },
    async begin() {
      main.exec('BEGIN IMMEDIATE');
    },
    async occupied() {
      const out: string[] = TRANSFER_TABLES.filter(
        (t) =>
          dbOf(t)
            .prepare(`SELECT 1 FROM ${quoteIdent(t)} LIMIT 1`)
            .get() !== undefined,
      );
      const pending = pendingJournalRecords(dataDir, telemetry);
      if (pending > 0) out.push(`telemetry-journal (${pending} records not applied yet)`);
      return out;
    },
    async clear() {
      for (const t of [...TRANSFER_TABLES].reverse()) dbOf(t).exec(`DELETE FROM ${quoteIdent(t)}`);
    },
    async columns(table) {
      const info = dbOf(table)
        .prepare(`PRAGMA table_info(${quoteIdent(table)})`)
        .all() as ColumnInfo[];
      return new Map<string, TargetColumn>(
        info.map((c) => [c.name, { required: c.notnull === 1 && c.dflt_value === null }]),
      );
    },
    async insert(table, columns, rows) {
      const sql = `INSERT INTO ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
      if (sqliteFileOf(table) === 'plexus.db') {
        const stmt = prepareMain(sql);
        for (const r of rows) stmt.run(r);
        return;
      }
      const stmt = prepareTelemetry(sql);
      wroteTelemetry = true;
      telemetry.transaction(() => {
        for (const r of rows) stmt.run(r);
      })();
    },
    async commit() {
      main.exec('COMMIT');
      // The import wrote the whole store through the WAL: fold it into the files now, not at the first start.
      for (const d of [main, telemetry]) d.pragma('wal_checkpoint(TRUNCATE)');
    },
    async rollback() {
      if (main.inTransaction) main.exec('ROLLBACK');
      if (wroteTelemetry) {
        telemetry.transaction(() => {
          for (const t of telemetryTables) telemetry.exec(`DELETE FROM ${quoteIdent(t)}`);
        })();
      }
    },
    async close() {
      if (telemetry.open) telemetry.close();
      if (main.open) main.close();
      lock.release();
    },
  };
}
