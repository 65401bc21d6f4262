import { join } from 'node:path';
import { pino } from 'pino';
import type { Logger } from '../../core/logger.js';
import type { Stores } from '../index.js';
import { createSqliteAlarmStore } from './alarms.js';
import { createSqliteAuditStore } from './audit.js';
import { createSqliteAuthStore } from './auth.js';
import { createSqliteCommandStore } from './commands.js';
import type { MigrationResult } from './database.js';
import { type DataDirLock, lockDataDir } from './lock.js';
import { createSqliteMqttStore } from './mqtt.js';
import { createSqliteMqttUserStore } from './mqtt-users.js';
import { openSqliteFiles } from './open.js';
import { createSqliteOutboxStore } from './outbox.js';
import { createSqliteRegistryStore } from './registry.js';
import { createSqliteRuleStateStore } from './rule-state.js';
import { createSqliteRuleStore } from './rules.js';
import { createSqliteTelemetryStore } from './telemetry.js';
import { recoverJournal } from './telemetry-recover.js';
import { TELEMETRY_FILE } from './telemetry-schema.js';
import { SqliteTelemetryWriter } from './telemetry-writer.js';
import { createSqliteTwinStore } from './twin.js';

/**
 * Opens (creating if needed) and migrates the SQLite databases in `dataDir`
 * (plexus.db, and telemetry.db for telemetry: telemetry-schema.ts), takes
 * the data directory for this process (the telemetry journal has one owner)
 * and applies what the journal holds that the database does not.
 */
export function createSqliteStores(
  dataDir: string,
  log: Logger = pino({ level: 'silent' }),
): Stores & { readonly migrations: MigrationResult[] } {
  const { db, tdb: telemetryDb, migrations } = openSqliteFiles(dataDir, log);
  let lock: DataDirLock | undefined;
  let telemetryWriter: SqliteTelemetryWriter;
  try {
    lock = lockDataDir(dataDir);
    const journalDir = join(dataDir, 'telemetry-journal');
    const { nextSeq } = recoverJournal(journalDir, telemetryDb, log);
    const latestTs = telemetryDb.prepare(
      `SELECT s.key, l.ts FROM telemetry_series s JOIN telemetry_latest l ON l.series = s.id
       WHERE s.tenant = ? AND s.device = ?`,
    );
    telemetryWriter = new SqliteTelemetryWriter(dataDir, log, {
      journalDir,
      nextSeq,
      file: TELEMETRY_FILE,
      storedLatest: (tenant, device) => {
        const rows = latestTs.all(tenant, device) as { key: string; ts: number }[];
        return new Map(rows.map((r) => [r.key, r.ts]));
      },
    });
  } catch (err) {
    lock?.release();
    telemetryDb.close();
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
    mqttUsers: createSqliteMqttUserStore(db),
    telemetry: createSqliteTelemetryStore(telemetryDb, () => telemetryWriter.settled()),
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
      telemetryDb.close();
      db.close();
      lock?.release();
    },
  };
}
