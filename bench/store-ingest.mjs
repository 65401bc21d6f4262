#!/usr/bin/env node
// Store-level telemetry benchmark (issue #8): the SQLite and the PostgreSQL
// telemetry writers side by side, same workload, one run, no broker.
//
//   npm run build && node bench/store-ingest.mjs [options]
//
// Workload, per backend, on a fresh store (SQLite: a temporary data dir;
// PostgreSQL: a fresh database on --pg-url's server, dropped afterwards):
//   ingest  --devices devices (10,000), each a closed loop like an MQTT device with one
//           QoS 1 message in flight: write() of --keys points (5) of that device, await the
//           acknowledgement (SQLite: journaled; PostgreSQL: committed), next message 1 s later
//           in device time. --warmup s, then --duration s measured: acknowledged points/s.
//           The stored rows are counted afterwards and must be at least the acknowledged points.
//   query   one more device gets a day of 1 s points of one key (86,400), then, timed --calls
//           times each (warm): a raw page (1,000 points), the day in 1 h buckets from the 1 h
//           rollups, latest values of a device. p50 / p99 in ms.
//
// Options:
//   --only LIST        sqlite, postgres (default: both)
//   --devices N --keys N --duration S --warmup S --calls N
//   --dist DIR         compiled Plexus (default: <repo>/dist)
//   --pg-url URL       a superuser URL of the PostgreSQL server (default: postgres://postgres@127.0.0.1:5432/postgres)
//   --pool N           PostgreSQL connections (10, the store.poolSize default)
//   --in-flight N --group N   PgTelemetryWriter's transactions in flight (2) and points per transaction (20,000)
//   --async-commit     PostgreSQL writer with synchronous_commit = off (not durable; for comparison only)
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';

const repo = path.resolve(import.meta.dirname, '..');
const { values: opt } = parseArgs({
  options: {
    only: { type: 'string', default: 'sqlite,postgres' },
    devices: { type: 'string', default: '10000' },
    keys: { type: 'string', default: '5' },
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    calls: { type: 'string', default: '50' },
    dist: { type: 'string', default: path.join(repo, 'dist') },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    pool: { type: 'string', default: '10' },
    'in-flight': { type: 'string', default: '2' },
    group: { type: 'string', default: '20000' },
    'async-commit': { type: 'boolean', default: false },
  },
});
const DEVICES = Number(opt.devices);
const KEYS = Number(opt.keys);
const DURATION = Number(opt.duration) * 1000;
const WARMUP = Number(opt.warmup) * 1000;
const CALLS = Number(opt.calls);
const DAY = 86_400_000;
const HOUR = 3_600_000;
const dist = path.resolve(opt.dist);
const load = (rel) => import(path.join(dist, 'src/store', rel));
const silent = { error() {}, warn() {}, info() {}, debug() {}, trace() {}, fatal() {}, child: () => silent };

/** Device time starts a day ago, so points are within retention and in existing partitions. */
const BASE = Math.floor((Date.now() - DAY) / 1000) * 1000;

/** Closed-loop devices for warmup + duration; returns acknowledged points in the measured window. */
async function ingest(writer) {
  const keys = Array.from({ length: KEYS }, (_, k) => `k${k}`);
  const start = performance.now();
  const measureFrom = start + WARMUP;
  const end = measureFrom + DURATION;
  let acked = 0;
  let total = 0;
  let peakBacklog = 0;
  const device = async (d) => {
    const id = `dev-${d}`;
    for (let m = 0; performance.now() < end; m++) {
      const ts = BASE + m * 1000;
      await writer.write({
        points: keys.map((key, k) => ({ tenant: 'acme', device: id, key, ts, value: (d + m + k) % 1000 })),
        events: [],
      });
      total += KEYS;
      const now = performance.now();
      if (now >= measureFrom && now < end) acked += KEYS;
      if (writer.backlog > peakBacklog) peakBacklog = writer.backlog;
    }
  };
  await Promise.all(Array.from({ length: DEVICES }, (_, d) => device(d)));
  return { pointsPerSecond: acked / (DURATION / 1000), total, peakBacklog };
}

/** A day of 1 s points of one key for one device, in batches of 5,000. */
async function loadDay(writer) {
  const from = BASE - DAY;
  const writes = [];
  for (let i = 0; i < 86_400; i += 5_000) {
    const points = [];
    for (let j = i; j < Math.min(i + 5_000, 86_400); j++) {
      points.push({ tenant: 'acme', device: 'history', key: 'temp', ts: from + j * 1000, value: (j % 600) / 10 });
    }
    writes.push(writer.write({ points, events: [] }));
  }
  await Promise.all(writes);
  return from;
}

async function timed(fn) {
  const ms = [];
  for (let i = 0; i < 3; i++) await fn(); // warm
  for (let i = 0; i < CALLS; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const at = (q) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))];
  return { p50: at(0.5), p99: at(0.99) };
}

async function queries(store, from) {
  const raw = await timed(async () => {
    const page = await store.raw({ tenant: 'acme', device: 'history', key: 'temp', from, to: from + DAY, limit: 1000 });
    if (page.length !== 1000) throw new Error(`raw page: ${page.length} points`);
  });
  const hours = await timed(async () => {
    const b = await store.aggregate({
      tenant: 'acme', device: 'history', key: 'temp', from, to: from + DAY - 1, interval: HOUR, source: '1h',
    });
    if (b.length !== 24 || b[0].count !== 3600) throw new Error(`1 h buckets: ${b.length}`);
  });
  const latest = await timed(async () => {
    const l = await store.latest('acme', 'dev-7');
    if (Object.keys(l).length !== KEYS) throw new Error('latest: keys missing');
  });
  return { raw, hours, latest };
}

async function runSqlite() {
  const { createSqliteStores } = await load('sqlite/index.js');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'plexus-store-bench-'));
  const stores = createSqliteStores(dir, silent);
  try {
    const r = await ingest(stores.telemetryWriter);
    const from = await loadDay(stores.telemetryWriter);
    const q = await queries(stores.telemetry, from);
    await stores.telemetryWriter.close();
    // The project's driver (better-sqlite3 or node:sqlite, by Node version).
    const { openSqlite } = await load('sqlite/database.js');
    const db = openSqlite(dir, 'telemetry.db');
    const stored = db.prepare('SELECT count(*) AS n FROM telemetry').get().n - 86_400;
    db.close();
    return { ...r, stored, ...q };
  } finally {
    await stores.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function admin(sql) {
  const c = new pg.Client({ connectionString: opt['pg-url'] });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

async function runPostgres() {
  const { openPostgres } = await load('postgres/database.js');
  const { migratePostgres } = await load('postgres/migrations.js');
  const { PgTelemetryWriter } = await load('postgres/telemetry-writer.js');
  const { createPgTelemetryStore } = await load('postgres/telemetry.js');
  const name = `plexus_bench_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(opt['pg-url']);
  url.pathname = `/${name}`;
  const pool = openPostgres({ url: url.toString(), poolSize: Number(opt.pool), tls: 'off' });
  try {
    await migratePostgres(pool);
    const writer = new PgTelemetryWriter(pool, silent, {
      inFlight: Number(opt['in-flight']),
      groupPoints: Number(opt.group),
      synchronousCommit: !opt['async-commit'],
    });
    await writer.start();
    const store = createPgTelemetryStore(pool, () => writer.settled());
    const r = await ingest(writer);
    const from = await loadDay(writer);
    // Autovacuum analyzes a filling partition within a minute or so; the queries run seconds after
    // the load, and with no statistics yet the planner sorts a day of points for a 1,000-point page.
    await pool.query('ANALYZE telemetry');
    const q = await queries(store, from);
    await writer.close();
    const stored = (await pool.query('SELECT count(*)::bigint AS n FROM telemetry')).rows[0].n - 86_400;
    return { ...r, stored, ...q };
  } finally {
    await pool.end();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

const pgVersion = (await admin('SHOW server_version')).rows[0].server_version;
const settings = (await admin("SELECT name, setting FROM pg_settings WHERE name IN ('shared_buffers', 'synchronous_commit', 'max_wal_size', 'wal_compression')")).rows;
console.log(`Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), PostgreSQL ${pgVersion}`);
console.log(`PostgreSQL settings: ${settings.map((s) => `${s.name}=${s.setting}`).join(', ')}`);
console.log(
  `workload: ${DEVICES} devices × ${KEYS} keys, one write() of ${KEYS} points in flight per device, ` +
    `${WARMUP / 1000} s warm-up + ${DURATION / 1000} s measured; queries ×${CALLS}` +
    (opt['async-commit'] ? '; PostgreSQL synchronous_commit = off' : ''),
);

const results = {};
for (const backend of opt.only.split(',')) {
  process.stdout.write(`${backend}... `);
  results[backend] = backend === 'sqlite' ? await runSqlite() : await runPostgres();
  process.stdout.write('done\n');
  if (results[backend].stored < results[backend].total) {
    throw new Error(`${backend}: ${results[backend].stored} rows stored < ${results[backend].total} acknowledged`);
  }
}

const f = (n, d = 1) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const backends = Object.keys(results);
const row = (label, fn) => `| ${label} | ${backends.map((b) => fn(results[b])).join(' | ')} |`;
console.log();
console.log(`| | ${backends.join(' | ')} |`);
console.log(`|---|${backends.map(() => '---:').join('|')}|`);
console.log(row('ingest, acknowledged points/s', (r) => f(r.pointsPerSecond, 0)));
console.log(row('points acknowledged (incl. warm-up) / rows stored', (r) => `${f(r.total, 0)} / ${f(r.stored, 0)}`));
console.log(row('peak backlog (points)', (r) => f(r.peakBacklog, 0)));
console.log(row('raw page of 1,000, p50 / p99 ms', (r) => `${f(r.raw.p50, 2)} / ${f(r.raw.p99, 2)}`));
console.log(row('a day in 1 h buckets (1h rollups), p50 / p99 ms', (r) => `${f(r.hours.p50, 2)} / ${f(r.hours.p99, 2)}`));
console.log(row('latest of a device, p50 / p99 ms', (r) => `${f(r.latest.p50, 2)} / ${f(r.latest.p99, 2)}`));
if (results.sqlite && results.postgres) {
  console.log(`\nPostgreSQL / SQLite ingest: ${f(results.postgres.pointsPerSecond / results.sqlite.pointsPerSecond, 2)}`);
}
