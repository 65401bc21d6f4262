/**
 * The control plane's store contracts (twins, commands, rules, rule state,
 * alarms, outbox) on both backends: SQLite in a temporary data directory,
 * PostgreSQL in a fresh database per test, migrated with the full schema.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPgAlarmStore } from '../src/store/postgres/alarms.js';
import { createPgCommandStore } from '../src/store/postgres/commands.js';
import { openPostgres } from '../src/store/postgres/database.js';
import { migratePostgres } from '../src/store/postgres/migrations.js';
import { createPgOutboxStore } from '../src/store/postgres/outbox.js';
import { createPgRuleStateStore } from '../src/store/postgres/rule-state.js';
import { createPgRuleStore } from '../src/store/postgres/rules.js';
import { createPgTwinStore } from '../src/store/postgres/twin.js';
import { createSqliteStores } from '../src/store/sqlite/index.js';
import { runAlarmContract } from './contract/alarms.contract.js';
import { runCommandContract } from './contract/commands.contract.js';
import { runOutboxContract } from './contract/outbox.contract.js';
import { runRuleStateContract } from './contract/rule-state.contract.js';
import { runRuleContract } from './contract/rules.contract.js';
import { type ControlContractOptions, runTwinContract } from './contract/twin.contract.js';
import { freshDatabase } from './helpers/postgres.js';

async function sqlite() {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-control-'));
  const stores = createSqliteStores(dir);
  return {
    stores,
    async close() {
      await stores.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgres() {
  const db = await freshDatabase();
  // Twelve connections, so the concurrency tests really run side by side.
  const pool = openPostgres({ url: db.url, poolSize: 12, tls: 'off' });
  try {
    await migratePostgres(pool);
  } catch (err) {
    await pool.end();
    await db.drop();
    throw err;
  }
  return {
    stores: {
      twins: createPgTwinStore(pool),
      commands: createPgCommandStore(pool),
      rules: createPgRuleStore(pool),
      ruleStates: createPgRuleStateStore(pool),
      alarms: createPgAlarmStore(pool),
      outbox: createPgOutboxStore(pool),
    },
    async close() {
      await pool.end();
      await db.drop();
    },
  };
}

const backends: ControlContractOptions[] = [
  { name: 'sqlite', create: sqlite },
  { name: 'postgres', create: postgres },
];
for (const b of backends) {
  runTwinContract(b);
  runCommandContract(b);
  runRuleContract(b);
  runRuleStateContract(b);
  runAlarmContract(b);
  runOutboxContract(b);
}
