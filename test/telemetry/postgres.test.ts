import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { PointRow } from '../../src/store/index.js';
import { openPostgres, type PgPool } from '../../src/store/postgres/database.js';
import { migratePostgres } from '../../src/store/postgres/migrations.js';
import { createPgRegistryStore } from '../../src/store/postgres/registry.js';
import { createPgTelemetryStore } from '../../src/store/postgres/telemetry.js';
import { listPartitions, partitionName } from '../../src/store/postgres/telemetry-partitions.js';
import {
  PgTelemetryWriter,
  type PgTelemetryWriterOptions,
} from '../../src/store/postgres/telemetry-writer.js';
import { profile, tenant } from '../contract/registry.contract.js';
import { runTelemetryContract } from '../contract/telemetry.contract.js';
import { type FreshDatabase, freshDatabase } from '../helpers/postgres.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const log = pino({ level: 'silent' });

/** A fresh, migrated database with a started writer and the read store; close() drops it. */
async function createTelemetry(opts: PgTelemetryWriterOptions = {}) {
  const db = await freshDatabase();
  const pool = openPostgres({ url: db.url, poolSize: 6, tls: 'off' });
  await migratePostgres(pool);
  const writer = new PgTelemetryWriter(pool, log, opts);
  await writer.start();
  const store = createPgTelemetryStore(pool, () => writer.settled());
  return {
    db,
    pool,
    writer,
    store,
    async close() {
      await writer.close();
      await pool.end();
      await db.drop();
    },
  };
}

runTelemetryContract({ name: 'postgres', create: () => createTelemetry() });

/** Partition (catalog name) of each stored row of `table` matching `where`. */
async function partitionsOf(pool: PgPool, table: string, where: string, args: unknown[]): Promise<string[]> {
  const { rows } = await pool.query<{ p: string }>(
    `SELECT DISTINCT tableoid::regclass::text AS p FROM ${table} WHERE ${where} ORDER BY 1`,
    args,
  );
  return rows.map((r) => r.p);
}

const pt = (device: string, ts: number, value: number, key = 'temp'): PointRow => ({
  tenant: 'acme',
  device,
  key,
  ts,
  value,
});

describe('PostgreSQL telemetry partitions', () => {
  let t: Awaited<ReturnType<typeof createTelemetry>>;
  // A fixed "now" at noon, so yesterday..+7 days is the same set of partitions in every run.
  const now = Date.UTC(2026, 2, 10, 12);
  const today = Date.UTC(2026, 2, 10);
  afterEach(() => t.close());

  test('start creates partitions ahead; points, rollups and events land in the partition of their time', async () => {
    t = await createTelemetry({ now: () => now, horizon: async () => undefined });
    const days = (await listPartitions(t.pool, 'telemetry')).map((p) => p.from);
    assert.deepEqual(
      days,
      Array.from({ length: 9 }, (_, i) => today + (i - 1) * DAY),
      'yesterday through 7 days ahead',
    );
    for (const table of ['device_events', 'telemetry_1m', 'telemetry_1h'] as const) {
      const parts = await listPartitions(t.pool, table);
      assert.ok(parts[0] && parts[0].from <= today - DAY, `${table} covers yesterday`);
      assert.ok((parts.at(-1)?.to ?? 0) > today + 8 * DAY - 1, `${table} covers 7 days ahead`);
    }

    // Today, tomorrow, and a late point 40 days old whose partitions do not exist yet.
    const old = today - 40 * DAY + 5 * HOUR;
    const stored = await t.writer.write({
      points: [pt('d1', now, 1), pt('d1', now + DAY, 2), pt('d1', old, 3)],
      events: [{ tenant: 'acme', device: 'd1', ts: old, type: 'boot', data: {} }],
    });
    assert.deepEqual(stored, [true, true, true]);
    const at = (ts: number) => partitionsOf(t.pool, 'telemetry', 'ts = $1', [ts]);
    assert.deepEqual(await at(now), [partitionName('telemetry', today)]);
    assert.deepEqual(await at(now + DAY), [partitionName('telemetry', today + DAY)]);
    assert.deepEqual(await at(old), [partitionName('telemetry', today - 40 * DAY)]);
    assert.deepEqual(await partitionsOf(t.pool, 'device_events', 'ts = $1', [old]), [
      partitionName('device_events', today - 40 * DAY),
    ]);
    const week = Math.floor(old / (7 * DAY)) * 7 * DAY;
    const month = Math.floor(old / (30 * DAY)) * 30 * DAY;
    assert.deepEqual(await partitionsOf(t.pool, 'telemetry_1m', 'first_ts = $1', [old]), [
      partitionName('telemetry_1m', week),
    ]);
    assert.deepEqual(await partitionsOf(t.pool, 'telemetry_1h', 'first_ts = $1', [old]), [
      partitionName('telemetry_1h', month),
    ]);
    // The parents themselves hold nothing (every row is routed to a partition).
    const { rows } = await t.pool.query('SELECT count(*)::int AS n FROM ONLY telemetry');
    assert.equal(rows[0].n, 0);
    assert.equal(
      (await t.store.raw({ tenant: 'acme', device: 'd1', key: 'temp', from: 0, to: now * 2, limit: 10 }))
        .length,
      3,
    );
  });

  test('purge drops partitions past the longest retention and deletes rows only for shorter ones', async () => {
    t = await createTelemetry({ now: () => now });
    // Retentions from the registry's profiles: 10 days (the longest) and 3 days.
    const registry = createPgRegistryStore(t.pool);
    await registry.insertTenant(
      tenant('acme'),
      profile('default', { retentionDays: 10, rollupRetentionDays: 400 }),
    );
    await registry.insertProfile('acme', profile('short', { retentionDays: 3, rollupRetentionDays: 400 }));

    // One point per device and hour for 14 days: d-long has the 10-day profile, d-short the 3-day one.
    const hours = Array.from({ length: 14 * 24 }, (_, h) => today - 13 * DAY + h * HOUR);
    for (const device of ['d-long', 'd-short']) {
      await t.writer.write({
        points: hours.map((ts, h) => pt(device, ts, h)),
        events: hours.map((ts) => ({ tenant: 'acme', device, ts, type: 'tick', data: {} })),
      });
    }
    const oldest = today - 13 * DAY;
    const before = (await listPartitions(t.pool, 'telemetry')).map((p) => p.name);
    assert.ok(before.includes(partitionName('telemetry', oldest)));

    const removed = await t.writer.purge([
      {
        tenant: 'acme',
        devices: ['d-long'],
        rawBefore: now - 10 * DAY,
        rollupsBefore: now - 400 * DAY,
        eventsBefore: now - 10 * DAY,
      },
      {
        tenant: 'acme',
        devices: ['d-short'],
        rawBefore: now - 3 * DAY,
        rollupsBefore: now - 400 * DAY,
        eventsBefore: now - 3 * DAY,
      },
    ]);
    assert.ok(removed > 0);

    // The horizon is now - 10 days (noon): the partitions of the days before it are gone from the catalog.
    const horizonDay = today - 10 * DAY;
    const after = await listPartitions(t.pool, 'telemetry');
    assert.equal(after[0]?.from, horizonDay, 'the oldest partition left holds the horizon');
    for (const table of ['telemetry', 'device_events'] as const) {
      const { rows } = await t.pool.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = $1::regclass AND c.relname = $2`,
        [table, partitionName(table, oldest)],
      );
      assert.deepEqual(rows, [], `${table}: the oldest partition was dropped`);
    }

    const raw = async (device: string) =>
      (await t.store.raw({ tenant: 'acme', device, key: 'temp', from: 0, to: now * 2, limit: 10_000 })).map(
        (r) => r.ts,
      );
    // d-long: everything from the horizon's partition on is kept (at most a day beyond its retention).
    assert.deepEqual(
      await raw('d-long'),
      hours.filter((ts) => ts >= horizonDay),
    );
    // d-short: rows before its 3-day cut-off were deleted exactly.
    assert.deepEqual(
      await raw('d-short'),
      hours.filter((ts) => ts >= now - 3 * DAY),
    );
    const events = await t.store.events({
      tenant: 'acme',
      device: 'd-short',
      from: 0,
      to: now * 2,
      limit: 10_000,
    });
    assert.equal(
      events.at(-1)?.ts,
      hours.find((ts) => ts >= now - 3 * DAY),
    );
    // Rollups are within their 400 days: all kept.
    const [total] = await t.store.aggregate({
      tenant: 'acme',
      device: 'd-long',
      key: 'temp',
      from: 0,
      to: now * 2,
      interval: 1000 * DAY,
      source: '1h',
    });
    assert.equal(total?.count, hours.length);
  });
});

const WRITER = fileURLToPath(new URL('../../src/store/postgres/telemetry-writer.js', import.meta.url));
const DATABASE = fileURLToPath(new URL('../../src/store/postgres/database.js', import.meta.url));

describe('PostgreSQL telemetry durability', () => {
  let db: FreshDatabase;
  let pool: PgPool;
  beforeEach(async () => {
    db = await freshDatabase();
    pool = openPostgres({ url: db.url, poolSize: 2, tls: 'off' });
    await migratePostgres(pool);
  });
  afterEach(async () => {
    await pool.end();
    await db.drop();
  });

  test('kill -9 mid-stream: every acknowledged point and event is in PostgreSQL, rollups agree', async () => {
    const T0 = Date.now() - HOUR;
    // 5 points (one device) and an event every 10th batch; up to 40 writes outstanding;
    // each acknowledgement is printed, and the parent kills the child while writes are in flight.
    const script = `
      const { openPostgres } = await import(${JSON.stringify(DATABASE)});
      const { PgTelemetryWriter } = await import(${JSON.stringify(WRITER)});
      const pool = openPostgres({ url: ${JSON.stringify(db.url)}, poolSize: 4, tls: 'off' });
      const log = { error() {}, warn() {}, info() {}, debug() {} };
      const w = new PgTelemetryWriter(pool, log);
      await w.start();
      let outstanding = 0;
      for (let b = 0; ; b++) {
        const points = ['a', 'b', 'c', 'd', 'e'].map((key, k) => ({
          tenant: 'acme', device: 'd1', key, ts: ${T0} + b * 10, value: b * 10 + k }));
        const events = b % 10 === 0 ? [{ tenant: 'acme', device: 'd1', ts: ${T0} + b * 10, type: 'tick', data: { b } }] : [];
        outstanding++;
        w.write({ points, events }).then(() => { outstanding--; process.stdout.write(b + '\\n'); });
        while (outstanding >= 40) await new Promise((r) => setImmediate(r));
      }
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked: number[] = [];
    let stderr = '';
    let buffered = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        buffered += d.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const l of lines) acked.push(Number(l));
        if (acked.length >= 2_000) resolve();
      });
      child.on('exit', () => resolve());
    });
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL', stderr);
    assert.ok(acked.length >= 2_000, `acknowledged ${acked.length} batches: ${stderr}`);

    // Every acknowledged batch: its 5 points with their values, and its event.
    const { rows } = await pool.query<{ key: string; ts: number; num: number }>(
      `SELECT s.key, t.ts, t.num FROM telemetry t JOIN telemetry_series s ON s.id = t.series
       WHERE s.tenant = 'acme' AND s.device = 'd1'`,
    );
    const have = new Map(rows.map((r) => [`${r.key}:${r.ts}`, r.num]));
    const keys = ['a', 'b', 'c', 'd', 'e'];
    for (const b of acked) {
      keys.forEach((key, k) => {
        assert.equal(
          have.get(`${key}:${T0 + b * 10}`),
          b * 10 + k,
          `acknowledged point ${key} of batch ${b}`,
        );
      });
    }
    const ackedEvents = acked.filter((b) => b % 10 === 0).length;
    const { rows: ev } = await pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM device_events WHERE type = 'tick'",
    );
    assert.ok((ev[0]?.n ?? 0) >= ackedEvents, `events ${ev[0]?.n} >= acknowledged ${ackedEvents}`);
    assert.ok(
      rows.length >= acked.length * 5,
      'more may be stored (committed, not yet acknowledged), never fewer',
    );

    // What is stored is consistent: rollups and latest values were committed with the points.
    const store = createPgTelemetryStore(pool, async () => undefined);
    for (const key of keys) {
      const stored = rows.filter((r) => r.key === key).sort((x, y) => x.ts - y.ts);
      const buckets = await store.aggregate({
        tenant: 'acme',
        device: 'd1',
        key,
        from: 0,
        to: T0 + DAY,
        interval: 1000 * DAY,
        source: '1m',
      });
      assert.equal(buckets[0]?.count, stored.length, `${key}: minute rollups count every stored point`);
      const hours = await store.aggregate({
        tenant: 'acme',
        device: 'd1',
        key,
        from: 0,
        to: T0 + DAY,
        interval: 1000 * DAY,
        source: '1h',
      });
      assert.equal(hours[0]?.count, stored.length, `${key}: hour rollups count every stored point`);
      assert.equal(hours[0]?.last, stored.at(-1)?.num);
      assert.deepEqual((await store.latest('acme', 'd1'))[key], {
        ts: stored.at(-1)?.ts,
        value: stored.at(-1)?.num,
      });
    }

    // A restarted writer carries on where the data is.
    const writer = new PgTelemetryWriter(pool, log);
    await writer.start();
    const again = await writer.write({
      points: [{ tenant: 'acme', device: 'd1', key: 'a', ts: T0, value: -1 }],
      events: [],
    });
    assert.deepEqual(again, [false], 'a resend of a stored point is a duplicate after the restart');
    await writer.close();
  });
});
