import { pino } from 'pino';
import type { Logger } from '../../core/logger.js';
import type { Stores } from '../index.js';
import { createSqliteAuditStore } from './audit.js';
import { createSqliteAuthStore } from './auth.js';
import { type MigrationResult, migrateSqlite, openSqlite } from './database.js';
import { createSqliteMqttStore } from './mqtt.js';
import { createSqliteRegistryStore } from './registry.js';
import { createSqliteTelemetryStore } from './telemetry.js';
import { SqliteTelemetryWriter } from './telemetry-writer.js';

/** Opens (creating if needed) and migrates the SQLite database in `dataDir`. */
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
  const registry = createSqliteRegistryStore(db);
  const telemetryWriter = new SqliteTelemetryWriter(dataDir, log);
  return {
    kind: 'sqlite',
    migrations,
    registry,
    auth: createSqliteAuthStore(db),
    audit: createSqliteAuditStore(db),
    mqtt: createSqliteMqttStore(db),
    telemetry: createSqliteTelemetryStore(db),
    telemetryWriter,
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async close() {
      if (!db.open) return;
      await telemetryWriter.close();
      registry.flush();
      db.close();
    },
  };
}
