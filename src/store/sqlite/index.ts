import { join } from 'node:path';
import { pino } from 'pino';
import type { Logger } from '../../core/logger.js';
import type { Stores } from '../index.js';
import { createSqliteAlarmStore } from './alarms.js';
import { createSqliteAuditStore } from './audit.js';
import { createSqliteAuthStore } from './auth.js';
import { createSqliteCommandStore } from './commands.js';
import { type MigrationResult, migrateSqlite, openSqlite } from './database.js';
import { type DataDirLock, lockDataDir } from './lock.js';
import { createSqliteMqttStore } from './mqtt.js';
import { createSqliteOutboxStore } from './outbox.js';
import { createSqliteRegistryStore } from './registry.js';
import { createSqliteRuleStateStore } from './rule-state.js';
import { createSqliteRuleStore } from './rules.js';
import { createSqliteTelemetryStore } from './telemetry.js';
import { recoverJournal } from './telemetry-recover.js';
import { SqliteTelemetryWriter } from './telemetry-writer.js';
import { createSqliteTwinStore } from './twin.js';

/**
 * Opens (creating if needed) and migrates the SQLite database in `dataDir`,
 * takes the data directory for this process (the telemetry journal has one
 * owner) and applies what the journal holds that the database does not.
 */
export function createSqliteStores(
  dataDir: string,
  log: Logger = pino({ level: 'silent' }),
): Stores & { readonly migrations: MigrationResult[] } {
  const db = openSqlite(dataDir);
  let migrations: MigrationResult[];
  try {
    migrations = migrateSqlite(db);
  } catch (err) {
    db.close();
    throw err;
  }
  let lock: DataDirLock | undefined;
  let telemetryWriter: SqliteTelemetryWriter;
  try {
    lock = lockDataDir(dataDir);
    const journalDir = join(dataDir, 'telemetry-journal');
    const { nextSeq } = recoverJournal(journalDir, db, log);
    const latestTs = db.prepare(
      `SELECT s.key, l.ts FROM telemetry_series s JOIN telemetry_latest l ON l.series = s.id
       WHERE s.tenant = ? AND s.device = ?`,
    );
    telemetryWriter = new SqliteTelemetryWriter(dataDir, log, {
      journalDir,
      nextSeq,
      storedLatest: (tenant, device) => {
        const rows = latestTs.all(tenant, device) as { key: string; ts: number }[];
        return new Map(rows.map((r) => [r.key, r.ts]));
      },
    });
  } catch (err) {
    lock?.release();
    db.close();
    throw err;
  }
  const registry = createSqliteRegistryStore(db);
  return {
    kind: 'sqlite',
    migrations,
    registry,
    auth: createSqliteAuthStore(db),
    audit: createSqliteAuditStore(db),
    mqtt: createSqliteMqttStore(db),
    telemetry: createSqliteTelemetryStore(db, () => telemetryWriter.settled()),
    telemetryWriter,
    twins: createSqliteTwinStore(db),
    commands: createSqliteCommandStore(db),
    ruleStates: createSqliteRuleStateStore(db),
    rules: createSqliteRuleStore(db),
    alarms: createSqliteAlarmStore(db),
    outbox: createSqliteOutboxStore(db),
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async close() {
      if (!db.open) return;
      await telemetryWriter.close();
      registry.flush();
      db.close();
      lock?.release();
    },
  };
}
