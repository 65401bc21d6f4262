import { pino } from 'pino';
import type { Logger } from '../../core/logger.js';
import type { Stores } from '../index.js';
import type { MigrationResult } from '../sqlite/database.js';
import { createPgAlarmStore } from './alarms.js';
import { createPgAuditStore } from './audit.js';
import { createPgAuthStore } from './auth.js';
import { createPgCommandStore } from './commands.js';
import { openPostgres, type PostgresOptions } from './database.js';
import { migratePostgres } from './migrations.js';
import { createPgMqttStore } from './mqtt.js';
import { createPgMqttUserStore } from './mqtt-users.js';
import { createPgOutboxStore } from './outbox.js';
import { createPgRegistryStore } from './registry.js';
import { createPgRuleStateStore } from './rule-state.js';
import { createPgRuleStore } from './rules.js';
import { createPgTelemetryStore } from './telemetry.js';
import { PgTelemetryWriter } from './telemetry-writer.js';
import { createPgTwinStore } from './twin.js';

/**
 * Connects to PostgreSQL, migrates the schema (advisory lock: several
 * nodes may start at once) and builds every store on one pool.
 */
export async function createPostgresStores(
  opts: PostgresOptions,
  log: Logger = pino({ level: 'silent' }),
): Promise<Stores & { readonly migrations: MigrationResult[] }> {
  const pool = openPostgres(opts);
  let migrations: MigrationResult[];
  try {
    migrations = await migratePostgres(pool);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  const telemetryWriter = new PgTelemetryWriter(pool, log);
  await telemetryWriter.start();
  const registry = createPgRegistryStore(pool);
  const mqtt = createPgMqttStore(pool);
  return {
    kind: 'postgres',
    migrations,
    registry,
    auth: createPgAuthStore(pool),
    audit: createPgAuditStore(pool),
    mqtt,
    mqttUsers: createPgMqttUserStore(pool),
    telemetry: createPgTelemetryStore(pool, () => telemetryWriter.settled()),
    telemetryWriter,
    twins: createPgTwinStore(pool),
    commands: createPgCommandStore(pool),
    ruleStates: createPgRuleStateStore(pool),
    rules: createPgRuleStore(pool),
    alarms: createPgAlarmStore(pool),
    outbox: createPgOutboxStore(pool),
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await telemetryWriter.close();
      // Status changes and MQTT session writes are not awaited by their callers: finish them first.
      await Promise.all([registry.flush(), mqtt.settled()]);
      await pool.end();
    },
  };
}
