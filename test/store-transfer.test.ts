/**
 * `plexus migrate export|import` with real stores and the real CLI: an
 * installation filled over REST and MQTT on SQLite moves to PostgreSQL and
 * back, and the platform started on the copy shows the same devices,
 * telemetry, twin, alarms, rules and audit, and still lets the device in
 * with its old secret. Damaged files and non-empty targets are refused
 * with a precise message and leave the target as it was.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import pg from 'pg';
import { Database } from '../src/store/sqlite/driver.js';
import { TRANSFER_TABLES } from '../src/store/transfer/index.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { type CliRun, runCli } from './helpers/cli.js';
import type { Client } from './helpers/http.js';
import { adminClient, connect, createDevice, end, type TestDevice } from './helpers/mqtt.js';
import { type FreshDatabase, freshDatabase } from './helpers/postgres.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const work = mkdtempSync(join(tmpdir(), 'plexus-transfer-'));
const databases: FreshDatabase[] = [];
after(async () => {
  rmSync(work, { recursive: true, force: true });
  await Promise.all(databases.map((d) => d.drop()));
});

async function database(): Promise<FreshDatabase> {
  const d = await freshDatabase();
  databases.push(d);
  return d;
}

/** The store a CLI run or an app uses: a SQLite data directory or a PostgreSQL URL. */
type Store = { dataDir: string } | { url: string };

function storeEnv(s: Store): Record<string, string> {
  return 'url' in s
    ? { PLEXUS_STORE_URL: s.url, PLEXUS_DATA_DIR: join(work, 'unused') }
    : { PLEXUS_DATA_DIR: s.dataDir };
}

const migrate = (args: string[], s: Store): Promise<CliRun> => runCli(['migrate', ...args], storeEnv(s));

function ok(run: CliRun): CliRun {
  assert.equal(run.code, 0, `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  return run;
}

/** Rows per table, read straight from the database (to prove a refused import changed nothing). */
async function rowCounts(s: Store): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  if ('url' in s) {
    const c = new pg.Client({ connectionString: s.url });
    await c.connect();
    try {
      for (const t of TRANSFER_TABLES) {
        const has = await c.query('SELECT to_regclass($1) IS NOT NULL AS has', [t]);
        out[t] = has.rows[0].has ? Number((await c.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n) : 0;
      }
    } finally {
      await c.end();
    }
    return out;
  }
  for (const file of ['plexus.db', 'telemetry.db']) {
    let db: InstanceType<typeof Database>;
    try {
      db = new Database(join(s.dataDir, file), { readonly: true, fileMustExist: true });
    } catch {
      continue; // never created: empty
    }
    for (const t of TRANSFER_TABLES) {
      if (!db.prepare("SELECT 1 FROM sqlite_master WHERE name = ? AND type = 'table'").get(t)) continue;
      out[t] = (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    }
    db.close();
  }
  for (const t of TRANSFER_TABLES) out[t] ??= 0;
  return out;
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** Starts the platform on a store (PLEXUS_STORE_URL for PostgreSQL). */
function startOn(s: Store): Promise<TestApp> {
  return 'url' in s
    ? startTestApp({ env: { PLEXUS_STORE_URL: s.url } })
    : // SQLite even when PLEXUS_TEST_STORE=postgres: this suite is about the two backends as such.
      startTestApp({ keepDataDir: s.dataDir, store: 'sqlite' });
}

interface Filled {
  readonly device: TestDevice;
  /** Secret of the MQTT user node-red (tenant default). */
  readonly userSecret: string;
  readonly from: number;
  readonly to: number;
}

/** Fills an installation the way users do: REST for the operator side, MQTT for the device side. */
async function fill(app: TestApp, api: Client): Promise<Filled> {
  assert.equal((await api.post('/api/v1/tenants', { id: 'acme', name: 'ACME' })).status, 201);
  assert.equal(
    (await api.post('/api/v1/devices', { id: 'acme-1' }, { 'plexus-tenant': 'acme' })).status,
    201,
  );
  assert.equal(
    (await api.post('/api/v1/profiles', { id: 'press', description: 'hydraulic presses' })).status,
    201,
  );
  assert.equal((await api.post('/api/v1/groups', { id: 'line-1', name: 'Line 1' })).status, 201);
  const flow = {
    username: 'node-red',
    rules: [{ permission: 'allow', action: 'both', topic: 'plant/%u/#' }],
  };
  const user = await api.post<{ secret: string }>('/api/v1/mqtt-users', flow);
  assert.equal(user.status, 201, JSON.stringify(user.body));
  assert.equal(
    (await api.post('/api/v1/mqtt-users', { username: 'grafana' }, { 'plexus-tenant': 'acme' })).status,
    201,
  );
  const device = await createDevice(api, {
    id: 'press-7',
    profile: 'press',
    groups: ['line-1'],
    labels: { hall: 'north' },
  });
  await createDevice(api, { id: 'pump-1', labels: { hall: 'south' } });
  const rule = await api.call('PUT', '/api/v1/rules/press-overheat', {
    target: { profile: 'press' },
    condition: { type: 'threshold', key: 'temperature', op: '>', value: 90 },
    alarm: { type: 'overheat', severity: 'critical', message: '{{device}} is at {{value}} °C' },
  });
  assert.ok([200, 201].includes(rule.status), JSON.stringify(rule.body));
  const changed = await api.call('PUT', '/api/v1/rules/press-overheat', {
    target: { profile: 'press' },
    condition: { type: 'threshold', key: 'temperature', op: '>', value: 85 },
    alarm: { type: 'overheat', severity: 'critical', message: '{{device}} is at {{value}} °C' },
  });
  assert.equal(changed.status, 200, JSON.stringify(changed.body));

  // Two hours of points a minute apart (raw rows and both rollups), a text key, then one hot point.
  const c = await connect(app, device);
  const to = Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE;
  const from = to - 2 * HOUR;
  const points: { ts: number; values: Record<string, number | string> }[] = [];
  for (let ts = from; ts < to; ts += MINUTE) {
    points.push({
      ts,
      values: { temperature: 60 + ((ts / MINUTE) % 13) * 0.5, mode: ts % (20 * MINUTE) ? 'run' : 'idle' },
    });
  }
  for (const p of points) await c.publishAsync('devices/press-7/telemetry', JSON.stringify(p), { qos: 1 });
  await c.publishAsync(
    'devices/press-7/telemetry',
    JSON.stringify({ ts: to, values: { temperature: 97.5 } }),
    { qos: 1 },
  );
  await c.publishAsync(
    'devices/press-7/twin/reported',
    JSON.stringify({ firmware: '1.4.2', temp: { unit: 'C' } }),
    { qos: 1 },
  );
  const alarms = async () =>
    (await api.get<{ items: { id: string }[] }>('/api/v1/alarms?status=open')).body.items;
  for (let i = 0; i < 100 && (await alarms()).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  const [alarm] = await alarms();
  assert.ok(alarm, 'the rule raised an alarm');
  assert.equal(
    (await api.post(`/api/v1/alarms/${alarm.id}/acknowledge`, { comment: 'on my way' })).status,
    200,
  );
  assert.equal(
    (await api.post(`/api/v1/alarms/${alarm.id}/comments`, { text: 'valve replaced' })).status,
    201,
  );
  const twin = await api.patch('/api/v1/devices/press-7/twin', {
    desired: { mode: 'eco', temp: { target: 80 } },
  });
  assert.equal(twin.status, 200, JSON.stringify(twin.body));
  const cmd = await api.post('/api/v1/devices/pump-1/commands', { name: 'flush', params: { litres: 3 } });
  assert.equal(cmd.status, 201, JSON.stringify(cmd.body));
  await end(c);
  return { device, userSecret: user.body.secret, from, to };
}

/** What the API shows of an installation; two installations with equal snapshots hold the same data. */
async function snapshot(api: Client, f: Filled): Promise<Record<string, unknown>> {
  const get = async (path: string, headers?: Record<string, string>) => {
    const r = await api.get(path, headers);
    assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const q = `keys=temperature,mode&from=${f.from}&to=${f.to}`;
  const alarms = (await get('/api/v1/alarms?limit=100')) as { items: { id: string }[] };
  return {
    devices: await get('/api/v1/devices?limit=100'),
    acmeDevices: await get('/api/v1/devices?limit=100', { 'plexus-tenant': 'acme' }),
    tenants: await get('/api/v1/tenants'),
    profiles: await get('/api/v1/profiles'),
    groups: await get('/api/v1/groups'),
    mqttUsers: await get('/api/v1/mqtt-users'),
    acmeMqttUsers: await get('/api/v1/mqtt-users', { 'plexus-tenant': 'acme' }),
    raw: await get(`/api/v1/devices/press-7/telemetry?${q}&limit=1000`),
    perMinute: await get(
      `/api/v1/devices/press-7/telemetry?${q}&interval=1m&agg=count,min,max,avg,first,last`,
    ),
    perHour: await get(
      `/api/v1/devices/press-7/telemetry?keys=temperature&from=${f.from}&to=${f.to}&interval=1h&agg=count,sum,min,max`,
    ),
    latest: await get('/api/v1/devices/press-7/telemetry/latest'),
    twin: await get('/api/v1/devices/press-7/twin'),
    alarms,
    alarm: await get(`/api/v1/alarms/${alarms.items[0]?.id}`),
    rules: await get('/api/v1/rules'),
    ruleVersions: await get('/api/v1/rules/press-overheat/versions'),
    commands: await get('/api/v1/commands'),
    audit: ((await get('/api/v1/audit?limit=1000')) as { items: unknown[] }).items,
  };
}

/** Equal, except that logging in to the copy added audit lines: the original's are the oldest ones. */
function assertSameData(copy: Record<string, unknown>, original: Record<string, unknown>): void {
  const { audit: a, ...rest } = copy;
  const { audit: b, ...restOriginal } = original;
  assert.deepEqual(rest, restOriginal);
  const audit = a as unknown[];
  const before = b as unknown[];
  assert.ok(before.length > 10, 'the original has an audit trail');
  assert.deepEqual(
    audit.slice(audit.length - before.length),
    before,
    'audit trail kept, oldest entries included',
  );
}

describe('SQLite → PostgreSQL → SQLite with the CLI', () => {
  const sqliteDir = join(work, 'sqlite');
  const backup = join(work, 'backup.plexus.gz');
  let filled: Filled;
  let original: Record<string, unknown>;
  let pgStore: { url: string };
  let onPg: Record<string, unknown>;

  before(async () => {
    const app = await startOn({ dataDir: sqliteDir });
    try {
      const api = await adminClient(app);
      filled = await fill(app, api);
      original = await snapshot(api, filled);
    } finally {
      await app.stop();
    }
  });

  test('export of a SQLite data directory: progress, summary, one gzip NDJSON file', async () => {
    // What was filled is there to be moved.
    type Items<T = unknown> = { items: T[] };
    const o = original as {
      raw: Items;
      perHour: Items<{ count: number }>;
      alarm: { comments: unknown[] };
      ruleVersions: Items;
      twin: { reported: unknown };
      commands: Items;
      acmeDevices: Items;
    };
    assert.equal(o.raw.items.length, 2 * 120 + 1);
    assert.equal(
      o.perHour.items.reduce((a, b) => a + b.count, 0),
      121,
    );
    assert.equal(o.alarm.comments.length, 2);
    assert.equal(o.ruleVersions.items.length, 2);
    assert.deepEqual(o.twin.reported, { firmware: '1.4.2', temp: { unit: 'C' } });
    assert.equal(o.commands.items.length, 1);
    assert.equal(o.acmeDevices.items.length, 1);
    const run = ok(await migrate(['export', '--out', backup], { dataDir: sqliteDir }));
    assert.equal(run.stdout, '', 'stdout stays free (--out - writes the export there)');
    assert.match(run.stderr, /^Exporting SQLite data directory .* \(schema \{"sqlite":\d+\}\)$/m);
    assert.match(run.stderr, /^ {2}telemetry: \d+ rows in [\d.]+ s/m);
    assert.match(
      run.stderr,
      new RegExp(
        `^Exported [\\d,]+ rows of ${TRANSFER_TABLES.length} tables to .*backup\\.plexus\\.gz, [\\d.]+ MB in [\\d.]+ s( \\([\\d,]+ rows/s\\))?$`,
        'm',
      ),
    );
    const lines = gunzipSync(readFileSync(backup)).toString().trimEnd().split('\n');
    const header = JSON.parse(lines[0] as string);
    assert.deepEqual(Object.keys(header), ['format', 'version', 'plexus', 'schema', 'tables', 'createdAt']);
    assert.equal(header.format, 'plexus-export');
    assert.deepEqual(header.tables, [...TRANSFER_TABLES]);
    const end = JSON.parse(lines[lines.length - 1] as string);
    assert.equal(end.end, true);
    assert.deepEqual(end.rows, await rowCounts({ dataDir: sqliteDir }), 'every row of every table');
    assert.equal(end.rows.mqtt_users, 2, 'MQTT users are carried');
    assert.ok(end.rows.telemetry >= 121 && end.rows.telemetry_1m > 0 && end.rows.telemetry_1h > 0);
    assert.equal(lines.length, 1 + TRANSFER_TABLES.length + total(end.rows) + 1);
  });

  test('import into a new PostgreSQL database; the platform on it shows the same installation', async () => {
    pgStore = await database();
    const run = ok(await migrate(['import', '--in', backup], pgStore));
    assert.match(
      run.stderr,
      /^Importing .*backup\.plexus\.gz into PostgreSQL database plexus_t\w+ on 127\.0\.0\.1:5432$/m,
    );
    assert.match(
      run.stderr,
      new RegExp(`^Imported [\\d,]+ rows of ${TRANSFER_TABLES.length} tables into PostgreSQL`, 'm'),
    );
    assert.deepEqual(await rowCounts(pgStore), await rowCounts({ dataDir: sqliteDir }));

    const app = await startOn(pgStore);
    try {
      const api = await adminClient(app);
      assertSameData(await snapshot(api, filled), original);
      // The device still gets in with its old secret, and its new points join the same series.
      const c = await connect(app, filled.device);
      await c.publishAsync(
        'devices/press-7/telemetry',
        JSON.stringify({ ts: filled.to + 1000, values: { temperature: 70 } }),
        { qos: 1 },
      );
      await end(c);
      const latest = await api.get<Record<string, { ts: number; value: unknown }>>(
        '/api/v1/devices/press-7/telemetry/latest',
      );
      assert.equal(
        JSON.stringify(latest.body).includes(String(filled.to + 1000)),
        true,
        JSON.stringify(latest.body),
      );
      // So does the MQTT user (its secret hash crossed as bytes).
      await end(
        await connect(app, undefined, { username: 'node-red', password: filled.userSecret, clientId: 'nr' }),
      );
      // Keys generated after the import follow the imported ones (identity sequences were moved).
      assert.equal((await createDevice(api, { id: 'after-import' })).id, 'after-import');
      assert.equal((await api.post('/api/v1/devices/pump-1/commands', { name: 'flush' })).status, 201);
      const alarmId = (original.alarms as { items: { id: string }[] }).items[0]?.id;
      assert.equal(
        (await api.post(`/api/v1/alarms/${alarmId}/comments`, { text: 'checked after the move' })).status,
        201,
      );
      onPg = await snapshot(api, filled);
      const newest = (x: Record<string, unknown>) =>
        ((x.audit as { seq: number }[])[0] as { seq: number }).seq;
      assert.ok(newest(onPg) > newest(original) + 3, 'new audit lines numbered after the imported ones');
    } finally {
      await app.stop();
    }
  });

  test('PostgreSQL → SQLite: export from the database, import into a new data directory, same data', async () => {
    const fromPg = join(work, 'from-pg.plexus.gz');
    const run = ok(await migrate(['export', '--out', fromPg], pgStore));
    assert.match(run.stderr, /^Exporting PostgreSQL database .* \(schema \{"postgres":\d+\}\)$/m);
    const restored = { dataDir: join(work, 'restored') };
    ok(await migrate(['import', '--in', fromPg], restored));
    assert.deepEqual(await rowCounts(restored), await rowCounts(pgStore));
    const app = await startOn(restored);
    try {
      const api = await adminClient(app);
      assertSameData(await snapshot(api, filled), onPg);
      const c = await connect(app, filled.device);
      await end(c);
      await end(
        await connect(app, undefined, { username: 'node-red', password: filled.userSecret, clientId: 'nr' }),
      );
      // A live install exports too: one consistent snapshot per database file.
      const live = ok(await migrate(['export', '--out', join(work, 'live.plexus.gz')], restored));
      assert.match(live.stderr, /^Note: Plexus is running on .*restored: exporting a consistent snapshot/m);
      const end_ = JSON.parse(
        gunzipSync(readFileSync(join(work, 'live.plexus.gz')))
          .toString()
          .trimEnd()
          .split('\n')
          .pop() as string,
      );
      assert.equal(end_.rows.telemetry, (await rowCounts(pgStore)).telemetry);
    } finally {
      await app.stop();
    }
  });

  describe('refusals: exit 1, a precise message, the target unchanged', () => {
    const refuse = async (file: string, target: Store, code: string, message: RegExp) => {
      const before = await rowCounts(target);
      const run = await migrate(['import', '--in', file], target);
      assert.equal(run.code, 1, `exit ${run.code}\n${run.stderr}`);
      assert.match(run.stderr, new RegExp(`\\(${code}\\)$`, 'm'));
      assert.match(run.stderr, message);
      assert.deepEqual(await rowCounts(target), before, 'target unchanged');
      return before;
    };
    const lines = () => gunzipSync(readFileSync(backup)).toString().split('\n');
    const write = (name: string, content: Buffer) => {
      const f = join(work, name);
      writeFileSync(f, content);
      return f;
    };

    test('a truncated file (cut inside gzip, or at a line without the end line)', async () => {
      const gz = readFileSync(backup);
      const cut = write('cut.plexus.gz', gz.subarray(0, Math.floor(gz.length * 0.6)));
      for (const target of [await database(), { dataDir: join(work, 'empty-1') }]) {
        const counts = await refuse(
          cut,
          target,
          'TRANSFER_FILE_DAMAGED',
          /the export file is truncated after line \d+/,
        );
        assert.equal(total(counts), 0);
      }
      const noEnd = write('no-end.plexus.gz', gzipSync(lines().slice(0, -2).join('\n')));
      await refuse(
        noEnd,
        await database(),
        'TRANSFER_FILE_DAMAGED',
        /truncated: it ends at line \d+ inside table device_events without its end line/,
      );
    });

    test('a file with a bad header, and a file that is not gzip', async () => {
      const bad = write('bad-header.plexus.gz', gzipSync('{"format":"something-else","version":1}\n[1,2]\n'));
      await refuse(
        bad,
        await database(),
        'TRANSFER_NOT_AN_EXPORT',
        /not a Plexus export file: line 1 has no "format":"plexus-export"/,
      );
      const plain = write('plain.txt', Buffer.from('hello\n'));
      await refuse(
        plain,
        { dataDir: join(work, 'empty-2') },
        'TRANSFER_NOT_AN_EXPORT',
        /not gzip-compressed/,
      );
      const newer = lines();
      newer[0] = (newer[0] as string).replace('"version":1', '"version":2');
      await refuse(
        write('newer.plexus.gz', gzipSync(newer.join('\n'))),
        await database(),
        'TRANSFER_VERSION_UNSUPPORTED',
        /format version 2/,
      );
    });

    test('a row of the wrong arity is named by table and line', async () => {
      const all = lines();
      const at = all.findIndex((l) => l.startsWith('["default","press-7"'));
      assert.ok(at > 0);
      const row = JSON.parse(all[at] as string) as unknown[];
      all[at] = JSON.stringify(row.slice(0, -1));
      const file = write('arity.plexus.gz', gzipSync(all.join('\n')));
      const columns = JSON.parse(
        all
          .slice(0, at)
          .reverse()
          .find((l) => l.startsWith('{"table":"devices"')) as string,
      ).columns;
      for (const target of [await database(), { dataDir: join(work, 'empty-3') }]) {
        const counts = await refuse(
          file,
          target,
          'TRANSFER_BAD_LINE',
          new RegExp(
            `table devices, line ${at + 1}: the row has ${row.length - 1} values, the table line \\(line \\d+\\) names ${columns.length} columns`,
          ),
        );
        assert.equal(total(counts), 0);
      }
    });

    test('an import into a store that holds devices or telemetry', async () => {
      const counts = await refuse(
        backup,
        pgStore,
        'TRANSFER_TARGET_NOT_EMPTY',
        /already holds data \(device_groups, devices, .*telemetry_series/,
      );
      assert.ok((counts.devices ?? 0) > 0);
      await refuse(
        backup,
        { dataDir: sqliteDir },
        'TRANSFER_TARGET_NOT_EMPTY',
        /SQLite data directory .* already holds data/,
      );
    });
  });
});

describe('migrate help', () => {
  test('both commands explain themselves with an example', async () => {
    for (const cmd of ['export', 'import']) {
      const run = ok(await runCli(['migrate', cmd, '--help'], {}));
      assert.match(run.stdout, /Example/);
      assert.match(run.stdout, new RegExp(`\\$ .*plexus migrate ${cmd} `));
    }
  });
});
