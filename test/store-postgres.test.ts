import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import pg from 'pg';
import { PlexusError } from '../src/core/errors.js';
import type { Device, StoredCredential } from '../src/registry/model.js';
import type { MqttQueuedRecord, RegistryStore, Stores } from '../src/store/index.js';
import { createPgAuditStore } from '../src/store/postgres/audit.js';
import { createPgAuthStore } from '../src/store/postgres/auth.js';
import { openPostgres, type PgPool } from '../src/store/postgres/database.js';
import { migratePostgres } from '../src/store/postgres/migrations.js';
import { createPgMqttStore } from '../src/store/postgres/mqtt.js';
import { createPgMqttUserStore } from '../src/store/postgres/mqtt-users.js';
import { createPgRegistryStore } from '../src/store/postgres/registry.js';
import { type PgMigration, POSTGRES_MIGRATIONS } from '../src/store/postgres/schema.js';
import { createSqliteStores } from '../src/store/sqlite/index.js';
import { runAuditContract } from './contract/audit.contract.js';
import { runAuthContract } from './contract/auth.contract.js';
import { runMqttContract } from './contract/mqtt.contract.js';
import { runMqttUserContract } from './contract/mqtt-users.contract.js';
import { profile, runRegistryContract, tenant } from './contract/registry.contract.js';
import { type FreshDatabase, freshDatabase, PG_ADMIN_URL } from './helpers/postgres.js';

const open = (url: string) => openPostgres({ url, poolSize: 4, tls: 'off' });

/** A fresh, migrated database with the stores of this file; closing drops it. */
async function createPg() {
  const db = await freshDatabase();
  const pool = open(db.url);
  try {
    await migratePostgres(pool);
  } catch (err) {
    await pool.end();
    await db.drop();
    throw err;
  }
  const registry = createPgRegistryStore(pool);
  // The registry, auth, audit, MQTT and MQTT user suites touch only these members.
  const stores = {
    kind: 'postgres',
    registry,
    auth: createPgAuthStore(pool),
    audit: createPgAuditStore(pool),
    mqtt: createPgMqttStore(pool),
    mqttUsers: createPgMqttUserStore(pool),
  } as Partial<Stores> as Stores;
  return {
    stores,
    registry,
    pool,
    async close() {
      await registry.flush();
      await pool.end();
      await db.drop();
    },
  };
}

runRegistryContract({ name: 'postgres', create: createPg });
runAuthContract({ name: 'postgres', create: createPg });
runAuditContract({ name: 'postgres', create: createPg });
runMqttContract({ name: 'postgres', create: createPg });
runMqttUserContract({ name: 'postgres', create: createPg });

const T0 = '2024-01-01T00:00:00.000Z';
const device = (id: string, over: Partial<Device> = {}): Device => ({
  id,
  name: `Device ${id}`,
  profile: 'default',
  groups: [],
  labels: {},
  enabled: true,
  status: 'unknown',
  lastSeen: null,
  firmware: null,
  createdAt: T0,
  updatedAt: T0,
  ...over,
});
const cred = (id: string): StoredCredential => ({
  id,
  kind: 'secret',
  secretHash: Buffer.from(id),
  createdAt: T0,
  lastUsedAt: null,
});

/** Counts the statements the store sends whose text starts with `prefix` (the pool still runs them). */
function countStatements(pool: PgPool, prefix: string): { readonly n: number } {
  const counter = { n: 0 };
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  (pool as { query: unknown }).query = (...args: unknown[]) => {
    const q = args[0] as string | { text: string };
    if ((typeof q === 'string' ? q : q.text).startsWith(prefix)) counter.n++;
    return query(...args);
  };
  return counter;
}

describe('PostgreSQL registry store beyond the contract', () => {
  let ctx: Awaited<ReturnType<typeof createPg>>;
  let s: RegistryStore;
  beforeEach(async () => {
    ctx = await createPg();
    s = ctx.registry;
    await s.insertTenant(tenant('acme'), profile('default'));
  });
  afterEach(() => ctx.close());

  test('a burst of status changes is one UPDATE; a later change never overtakes an earlier one', async () => {
    const n = 500;
    for (let i = 0; i < n; i++) await s.insertDevice('acme', device(`d${i}`), cred(`c${i}`));
    const updates = countStatements(ctx.pool, 'UPDATE devices AS d');
    const at = (sec: number) => `2024-06-01T00:00:${String(sec).padStart(2, '0')}.000Z`;
    const first = Array.from({ length: n }, (_, i) => s.setDeviceStatus('acme', `d${i}`, 'online', at(1)));
    await Promise.all(first);
    assert.equal(updates.n, 1, `${n} changes in one tick are one statement`);
    assert.deepEqual(await s.countDevicesByStatus('acme'), { online: n, offline: 0, unknown: 0 });

    // Changes made while a batch is in flight go into the next one, after it.
    const inFlight = s.setDeviceStatus('acme', 'd0', 'offline', at(2));
    await new Promise((r) => setImmediate(r));
    const later = s.setDeviceStatus('acme', 'd0', 'online', at(3));
    const last = s.setDeviceStatus('acme', 'd1', 'offline', at(4));
    await Promise.all([inFlight, later, last]);
    assert.equal(updates.n, 3);
    const d0 = await s.getDevice('acme', 'd0');
    assert.deepEqual([d0?.status, d0?.lastSeen], ['online', at(3)]);
    assert.equal((await s.getDevice('acme', 'd1'))?.status, 'offline');

    // flush() writes what is pending without waiting for the next tick.
    void s.setDeviceStatus('acme', 'd2', 'offline', at(5));
    await ctx.registry.flush();
    assert.equal((await s.getDevice('acme', 'd2'))?.status, 'offline');
  });

  test('deleteTenant leaves no row of the tenant in any registry or operator table', async () => {
    await s.insertTenant(tenant('globex'), profile('default'));
    for (const t of ['acme', 'globex']) {
      await s.insertGroup(t, { id: 'g', name: 'G', description: '', createdAt: T0, updatedAt: T0 });
      await s.insertDevice(t, device('d', { groups: ['g'] }), cred('c'));
      const auth = createPgAuthStore(ctx.pool);
      const user = `${t}-admin`;
      await auth.insertUser({
        username: user,
        tenant: t,
        role: 'admin',
        platformAdmin: false,
        passwordHash: 'x',
        createdAt: T0,
        updatedAt: T0,
        lastLoginAt: null,
      });
      await auth.insertSession({ tokenHash: Buffer.from(user), username: user, createdAt: T0, expiresAt: 1 });
      await auth.insertApiKey({
        id: `${t}-key`,
        tenant: t,
        name: 'k',
        role: 'viewer',
        keyHash: Buffer.from(`${t}-key`),
        createdBy: user,
        createdAt: T0,
        lastUsedAt: null,
      });
    }
    assert.equal(await s.deleteTenant('acme'), true);
    const count = async (sql: string) => (await ctx.pool.query<{ n: number }>(sql)).rows[0]?.n;
    for (const table of [
      'profiles',
      'device_groups',
      'devices',
      'group_members',
      'credentials',
      'users',
      'api_keys',
    ]) {
      assert.equal(await count(`SELECT count(*) AS n FROM ${table} WHERE tenant = 'acme'`), 0, table);
      assert.ok(
        ((await count(`SELECT count(*) AS n FROM ${table} WHERE tenant = 'globex'`)) ?? 0) > 0,
        table,
      );
    }
    assert.equal(await count(`SELECT count(*) AS n FROM sessions WHERE username = 'acme-admin'`), 0);
    assert.equal((await ctx.pool.query('SELECT 1 FROM sessions')).rowCount, 1, "globex's session stays");
  });
});

describe('PostgreSQL orders keys as SQLite does, whatever the database locale', () => {
  // A database whose default collation sorts "a" before "B" (ICU English): keyset
  // pages must still follow byte order, as SQLite's do, or cursors would skip rows.
  const name = `plexus_t_icu_${Date.now().toString(36)}`;
  const admin = (sql: string) =>
    (async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(sql);
      } finally {
        await c.end();
      }
    })();
  let pool: PgPool;
  let dir: string;
  before(async () => {
    await admin(
      `CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`,
    );
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${name}`;
    pool = open(url.toString());
    await migratePostgres(pool);
    dir = mkdtempSync(join(tmpdir(), 'plexus-pg-order-'));
  });
  after(async () => {
    await pool.end();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    rmSync(dir, { recursive: true, force: true });
  });

  test('device pages with mixed case and punctuation are the same on both backends', async () => {
    const collation = await pool.query<{ c: string }>(`SELECT 'a' < 'B' AS lt, 'a' < ('B' COLLATE "C") AS c`);
    assert.deepEqual(collation.rows[0], { lt: true, c: false }, 'the database sorts case-insensitively');
    const sqlite = createSqliteStores(dir);
    const pgRegistry = createPgRegistryStore(pool);
    try {
      const ids = ['b', 'B-2', 'a_1', 'a-1', 'A1', 'Z', 'a.1', 'ä', 'a'];
      for (const r of [sqlite.registry, pgRegistry]) {
        await r.insertTenant(tenant('acme'), profile('default'));
        for (const id of ids) await r.insertDevice('acme', device(id, { name: 'sensor' }), cred(id));
      }
      const pages = async (r: RegistryStore) => {
        const out: string[][] = [];
        let after: string | undefined;
        do {
          const page = await r.listDevices('acme', { search: 'SENSOR' }, { limit: 2, after });
          out.push(page.items.map((d) => d.id));
          after = page.nextAfter;
        } while (after !== undefined);
        return out;
      };
      const expected = await pages(sqlite.registry);
      assert.deepEqual(expected.flat(), [...ids].sort());
      assert.deepEqual(await pages(pgRegistry), expected);
    } finally {
      await pgRegistry.flush();
      await sqlite.close();
    }
  });
});

describe('PostgreSQL MQTT store beyond the contract', () => {
  let ctx: Awaited<ReturnType<typeof createPg>>;
  beforeEach(async () => {
    ctx = await createPg();
  });
  afterEach(() => ctx.close());

  const queued = (topic: string): MqttQueuedRecord => ({
    message: { topic, payload: Buffer.from(topic), qos: 1, retain: false, properties: {}, receivedAt: 1 },
    qos: 1,
    retain: false,
    subscriptionIds: [],
  });
  const session = (clientId: string) => ({
    tenant: 'acme',
    clientId,
    identity: {},
    expiryInterval: 60,
    disconnectedAt: 1,
    subscriptions: [],
    will: null,
  });

  test("a publisher's session key (tenant U+0000 client id) round-trips; PostgreSQL text holds no U+0000", async () => {
    const s = ctx.stores.mqtt;
    const from = ['acme\u0000pub-1', 'acme\u0000back\\slash\\0', 'acme\u0000\\\u0000'];
    const items = from.map((f, i) => ({
      ...queued(`t/${i}`),
      message: { ...queued(`t/${i}`).message, from: f },
    }));
    await s.saveSession(session('c1'), items.slice(0, 1));
    await s.appendMessages(items.slice(1).map((item) => ({ tenant: 'acme', clientId: 'c1', item })));
    const [loaded] = await s.loadSessions();
    assert.deepEqual(
      loaded?.messages.map((m) => m.message.from),
      from,
    );
  });

  test('snapshots, appends, deletes and retained changes apply as issued', async () => {
    const s = ctx.stores.mqtt;
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) {
      const c = `c${i % 4}`;
      writes.push(s.saveSession(session(c), [queued(`${c}/snap${i}`)]));
      writes.push(s.appendMessages([{ tenant: 'acme', clientId: c, item: queued(`${c}/add${i}`) }]));
      if (i % 5 === 0) writes.push(s.deleteSession('acme', c));
      const msg = queued(`r${i}`).message;
      writes.push(s.setRetained('acme', 'r', { ...msg, retain: true }));
      if (i % 2 === 1) writes.push(s.setRetained('acme', 'r', undefined));
    }
    writes.push(s.setRetained('acme', 'r', { ...queued('r-last').message, retain: true }));
    await Promise.all(writes);
    const sessions = await s.loadSessions();
    // Each client's last round is one of i = 36..39, after its last delete (i = 35 for c3).
    const byClient = Object.fromEntries(
      sessions.map((l) => [l.session.clientId, l.messages.map((m) => m.message.topic)]),
    );
    assert.deepEqual(byClient, {
      c0: ['c0/snap36', 'c0/add36'],
      c1: ['c1/snap37', 'c1/add37'],
      c2: ['c2/snap38', 'c2/add38'],
      c3: ['c3/snap39', 'c3/add39'],
    });
    assert.deepEqual(
      (await s.loadRetained()).map((r) => r.message.payload.toString()),
      ['r-last'],
    );
  });
});

function rejectsWithCode(p: Promise<unknown>, code: string): Promise<void> {
  return assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof PlexusError, `expected a PlexusError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

/** Tables, columns, indexes, constraints and applied versions, to compare a database before and after. */
async function snapshot(pool: PgPool) {
  const q = async (sql: string) => (await pool.query(sql)).rows;
  const hasVersions = (await q("SELECT to_regclass('schema_migrations') AS t"))[0]?.t !== null;
  return {
    columns: await q(`SELECT table_name, column_name, data_type, is_nullable, collation_name, column_default
      FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`),
    indexes: await q(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`),
    constraints: await q(`SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
      WHERE connamespace = 'public'::regnamespace ORDER BY 1`),
    versions: hasVersions ? await q('SELECT version, name FROM schema_migrations ORDER BY version') : null,
  };
}

const tables = async (pool: PgPool) =>
  (
    await pool.query<{ t: string }>(
      "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    )
  ).rows.map((r) => r.t);

describe('PostgreSQL schema migrations', () => {
  let db: FreshDatabase;
  const pools: PgPool[] = [];
  const openPool = () => {
    const p = open(db.url);
    pools.push(p);
    return p;
  };
  beforeEach(async () => {
    db = await freshDatabase();
  });
  afterEach(async () => {
    for (const p of pools.splice(0)) await p.end();
    await db.drop();
  });

  test('migrating twice is a no-op and keeps the data', async () => {
    const pool = openPool();
    assert.deepEqual(
      await migratePostgres(pool),
      POSTGRES_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
    );
    const registry = createPgRegistryStore(pool);
    await registry.insertTenant(tenant('acme'), profile('default'));
    const before = await snapshot(pool);
    assert.ok(before.columns.length > 50, 'the schema was created');
    assert.deepEqual(await migratePostgres(pool), []);
    assert.deepEqual(await snapshot(pool), before);
    assert.deepEqual(await registry.getTenant('acme'), tenant('acme'));
  });

  test('a failing migration rolls back everything of the run and leaves the schema as it was', async () => {
    const pool = openPool();
    const one: PgMigration = { version: 1, name: 'one', sql: 'CREATE TABLE one (x bigint NOT NULL);' };
    const two: PgMigration = { version: 2, name: 'two', sql: 'CREATE TABLE two (x bigint);' };
    const broken: PgMigration = {
      version: 3,
      name: 'broken',
      sql: 'CREATE TABLE three (x bigint); INSERT INTO one (x) VALUES (1); CREATE TABLEX oops (y bigint);',
    };
    // On an empty database nothing at all remains, not even the version table.
    await rejectsWithCode(migratePostgres(pool, [one, two, broken]), 'STORE_MIGRATION_FAILED');
    assert.deepEqual(await tables(pool), []);

    assert.deepEqual(
      (await migratePostgres(pool, [one])).map((m) => m.version),
      [1],
    );
    const before = await snapshot(pool);
    await rejectsWithCode(migratePostgres(pool, [one, two, broken]), 'STORE_MIGRATION_FAILED');
    assert.deepEqual(await snapshot(pool), before);
    assert.deepEqual(await tables(pool), ['one', 'schema_migrations']);
    assert.equal((await pool.query('SELECT * FROM one')).rowCount, 0);

    // Once fixed, the pending migrations apply on top of what is there.
    const fixed = { ...broken, sql: 'CREATE TABLE three (x bigint);' };
    assert.deepEqual(
      (await migratePostgres(pool, [one, two, fixed])).map((m) => m.version),
      [2, 3],
    );
    assert.deepEqual(await tables(pool), ['one', 'schema_migrations', 'three', 'two']);
  });

  test('a schema newer than this build knows is refused and left untouched', async () => {
    const pool = openPool();
    await migratePostgres(pool);
    const latest = Math.max(...POSTGRES_MIGRATIONS.map((m) => m.version));
    await pool.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
      latest + 1,
      'from the future',
      new Date().toISOString(),
    ]);
    const before = await snapshot(pool);
    const next: PgMigration = { version: latest + 1, name: 'next', sql: 'CREATE TABLE next_one (x bigint);' };
    await rejectsWithCode(migratePostgres(pool), 'STORE_SCHEMA_TOO_NEW');
    // Knowing the version is enough: nothing is applied again.
    assert.deepEqual(await migratePostgres(pool, [...POSTGRES_MIGRATIONS, next]), []);
    assert.deepEqual(await snapshot(pool), before);
  });

  test('three nodes migrating one fresh database at once: all succeed, the schema is applied once', async () => {
    const nodes = [openPool(), openPool(), openPool()];
    // Connected first, so the three runs really start together.
    await Promise.all(nodes.map((p) => p.query('SELECT 1')));
    const results = await Promise.all(nodes.map((p) => migratePostgres(p)));
    const all = POSTGRES_MIGRATIONS.map((m) => ({ version: m.version, name: m.name }));
    assert.deepEqual(
      results.filter((r) => r.length > 0),
      [all],
      'one node applied the migrations, the others found nothing to do',
    );
    assert.deepEqual(results.filter((r) => r.length === 0).length, 2);
    const pool = nodes[0] as PgPool;
    assert.deepEqual(
      (await pool.query('SELECT version FROM schema_migrations ORDER BY version')).rows,
      all.map((m) => ({ version: m.version })),
    );
    await createPgRegistryStore(pool).insertTenant(tenant('acme'), profile('default'));
    assert.equal((await pool.query('SELECT * FROM tenants')).rowCount, 1);
  });
});
