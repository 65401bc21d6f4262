import type { Stores } from '../index.js';
import { createSqliteAuditStore } from './audit.js';
import { createSqliteAuthStore } from './auth.js';
import { type MigrationResult, migrateSqlite, openSqlite } from './database.js';
import { createSqliteMqttStore } from './mqtt.js';
import { createSqliteRegistryStore } from './registry.js';

/** Opens (creating if needed) and migrates the SQLite database in `dataDir`. */
export function createSqliteStores(dataDir: string): Stores & { readonly migrations: MigrationResult[] } {
  const db = openSqlite(dataDir);
  let migrations: MigrationResult[];
  try {
    migrations = migrateSqlite(db);
  } catch (err) {
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
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async close() {
      if (!db.open) return;
      registry.flush();
      db.close();
    },
  };
}
