import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { PlexusError } from '../src/core/errors.js';
import { migrateSqlite, openSqlite, type SqliteDb } from '../src/store/sqlite/database.js';
import { createSqliteStores } from '../src/store/sqlite/index.js';
import { type Migration, SQLITE_MIGRATIONS } from '../src/store/sqlite/migrations.js';
import {
  moveTelemetryOut,
  TELEMETRY_FILE,
  TELEMETRY_MIGRATIONS,
} from '../src/store/sqlite/telemetry-schema.js';
import { runAuditContract } from './contract/audit.contract.js';
import { runAuthContract } from './contract/auth.contract.js';
import { runMqttContract } from './contract/mqtt.contract.js';
import { runMqttUserContract } from './contract/mqtt-users.contract.js';
import { profile, runRegistryContract, tenant } from './contract/registry.contract.js';
import { runTelemetryContract } from './contract/telemetry.contract.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'plexus-store-'));

/** A fresh database in its own directory per test; closing removes the directory. */
async function create() {
  const dir = tempDir();
  const stores = createSqliteStores(dir);
  return {
    stores,
    async close() {
      await stores.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

runRegistryContract({ name: 'sqlite', create });
runAuthContract({ name: 'sqlite', create });
runAuditContract({ name: 'sqlite', create });
runMqttContract({ name: 'sqlite', create });
runMqttUserContract({ name: 'sqlite', create });
runTelemetryContract({
  name: 'sqlite',
  async create() {
    const { stores, close } = await create();
    return { store: stores.telemetry, writer: stores.telemetryWriter, close };
  },
});

function rejectsWithCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof PlexusError, `expected a PlexusError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

/** The whole schema and the applied versions, to compare two databases. */
function snapshot(db: SqliteDb) {
  return {
    schema: db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name').all(),
    versions: db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all(),
  };
}

const tables = (db: SqliteDb) =>
  (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string;
    }[]
  ).map((r) => r.name);

describe('SQLite schema migrations', () => {
  let dir: string;
  const open: SqliteDb[] = [];
  const openDb = (file?: string) => {
    const db = openSqlite(dir, file);
    open.push(db);
    return db;
  };
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => {
    for (const db of open.splice(0)) if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('migrating twice is a no-op and keeps the data', async () => {
    const db = openDb();
    const first = migrateSqlite(db);
    assert.deepEqual(
      first,
      SQLITE_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
    );
    const before = snapshot(db);
    assert.deepEqual(migrateSqlite(db), []);
    assert.deepEqual(snapshot(db), before);
    db.close();

    const stores = createSqliteStores(dir);
    assert.deepEqual(
      stores.migrations,
      TELEMETRY_MIGRATIONS.map((m) => ({ version: m.version, name: `${TELEMETRY_FILE}: ${m.name}` })),
    );
    await stores.registry.insertTenant(tenant('acme'), profile('default'));
    await stores.close();
    const again = createSqliteStores(dir);
    try {
      assert.deepEqual(again.migrations, []);
      assert.deepEqual(await again.registry.getTenant('acme'), tenant('acme'));
    } finally {
      await again.close();
    }
  });

  test('a failing migration rolls back entirely and leaves earlier ones applied', () => {
    const one: Migration = { version: 1, name: 'one', sql: 'CREATE TABLE one (x INTEGER NOT NULL);' };
    const broken: Migration = {
      version: 2,
      name: 'broken',
      sql: 'CREATE TABLE two (x INTEGER); INSERT INTO one (x) VALUES (1); CREATE TABLEX oops (y);',
    };
    const failed = openDb('failed.db');
    rejectsWithCode(() => migrateSqlite(failed, [one, broken]), 'STORE_MIGRATION_FAILED');
    const reference = openDb('reference.db');
    assert.deepEqual(
      migrateSqlite(reference, [one]).map((m) => m.version),
      [1],
    );
    assert.deepEqual(snapshot(failed), snapshot(reference));
    assert.deepEqual(tables(failed), ['one', 'schema_migrations']);
    assert.deepEqual(failed.prepare('SELECT count(*) AS n FROM one').get(), { n: 0 });

    // Once fixed, the migration applies on top of what is there.
    const fixed = { ...broken, sql: 'CREATE TABLE two (x INTEGER);' };
    assert.deepEqual(
      migrateSqlite(failed, [one, fixed]).map((m) => m.version),
      [2],
    );
    assert.deepEqual(tables(failed), ['one', 'schema_migrations', 'two']);
  });

  test('a schema newer than this build knows is refused', async () => {
    const v1: Migration = { version: 1, name: 'one', sql: 'CREATE TABLE one (x INTEGER);' };
    const v2: Migration = { version: 2, name: 'two', sql: 'CREATE TABLE two (x INTEGER);' };
    const db = openDb('custom.db');
    migrateSqlite(db, [v1, v2]);
    const before = snapshot(db);
    rejectsWithCode(() => migrateSqlite(db, [v1]), 'STORE_SCHEMA_TOO_NEW');
    assert.deepEqual(snapshot(db), before);

    // A data directory written by a newer Plexus.
    await createSqliteStores(dir).close();
    const main = openDb();
    const latest = Math.max(...SQLITE_MIGRATIONS.map((m) => m.version));
    main
      .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
      .run(latest + 1, 'from the future', new Date().toISOString());
    main.close();
    rejectsWithCode(() => createSqliteStores(dir), 'STORE_SCHEMA_TOO_NEW');
  });

  test('telemetry an older installation kept in plexus.db moves to telemetry.db once, without loss or doubles', async () => {
    const T = Date.UTC(2026, 0, 1);
    const old = openDb();
    migrateSqlite(
      old,
      SQLITE_MIGRATIONS.filter((m) => m.version <= 8),
    );
    old.exec(`INSERT INTO telemetry_series (id, tenant, device, key) VALUES (1, 'acme', 'd1', 'temp');
      INSERT INTO telemetry (series, ts, kind, num) VALUES (1, ${T}, 0, 21.5), (1, ${T + 1000}, 0, 22);
      INSERT INTO telemetry_latest (series, ts, kind, num) VALUES (1, ${T + 1000}, 0, 22);
      INSERT INTO device_events (tenant, device, ts, type, data) VALUES ('acme', 'd1', ${T}, 'boot', '{}');
      UPDATE telemetry_journal_state SET seq = 7;
      INSERT INTO rule_state (tenant, rule, version, device, state, firing, last_action_at)
        VALUES ('acme', 'hot', 2, 'd1', '{"since":5}', 1, 9), ('acme', 'cold', 1, 'd1', '{}', 0, NULL);`);
    // A crash after the copy and before plexus.db dropped its tables: the next start must not copy again.
    const tdb = openDb(TELEMETRY_FILE);
    migrateSqlite(tdb, TELEMETRY_MIGRATIONS);
    assert.equal(moveTelemetryOut(old, tdb), 2);
    assert.equal(moveTelemetryOut(old, tdb), 0, 'marked as moved');
    old.close();
    tdb.close();

    const stores = createSqliteStores(dir);
    try {
      assert.deepEqual(
        stores.migrations.map((m) => m.version),
        SQLITE_MIGRATIONS.filter((m) => m.version > 8).map((m) => m.version),
      );
      // Migration 10 keeps rule states, now one row per device.
      const states = await stores.ruleStates.loadAll();
      assert.deepEqual(
        states.sort((a, b) => a.rule.localeCompare(b.rule)),
        [
          {
            tenant: 'acme',
            rule: 'cold',
            version: 1,
            device: 'd1',
            state: {},
            firing: false,
            lastActionAt: null,
          },
          {
            tenant: 'acme',
            rule: 'hot',
            version: 2,
            device: 'd1',
            state: { since: 5 },
            firing: true,
            lastActionAt: 9,
          },
        ],
      );
      const raw = await stores.telemetry.raw({
        tenant: 'acme',
        device: 'd1',
        key: 'temp',
        from: T,
        to: T + 1000,
        limit: 10,
      });
      assert.deepEqual(raw, [
        { ts: T, value: 21.5 },
        { ts: T + 1000, value: 22 },
      ]);
      assert.equal((await stores.telemetry.latest('acme', 'd1')).temp?.value, 22);
      assert.equal(
        (await stores.telemetry.events({ tenant: 'acme', device: 'd1', from: T, to: T, limit: 10 })).length,
        1,
      );
    } finally {
      await stores.close();
    }
    const main = openDb();
    assert.deepEqual(
      tables(main).filter((t) => t.startsWith('telemetry') || t === 'device_events'),
      [],
    );
    const moved = openDb(TELEMETRY_FILE);
    assert.deepEqual(moved.prepare('SELECT count(*) AS n FROM telemetry').get(), { n: 2 });
    assert.deepEqual(moved.prepare('SELECT seq FROM telemetry_journal_state').get(), { seq: 7 });
  });

  test('the database runs in WAL mode with foreign keys enforced', () => {
    const db = openDb();
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
    db.exec('CREATE TABLE parent (id TEXT PRIMARY KEY); CREATE TABLE child (p TEXT REFERENCES parent(id));');
    assert.throws(() => db.prepare("INSERT INTO child (p) VALUES ('ghost')").run(), /FOREIGN KEY/);
  });
});
