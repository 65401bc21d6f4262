import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { PlexusError } from '../../src/core/errors.js';
import { migrateSqlite, openSqlite } from '../../src/store/sqlite/database.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';
import { listSegments, readSegment } from '../../src/store/sqlite/telemetry-journal.js';
import { TELEMETRY_FILE, TELEMETRY_MIGRATIONS } from '../../src/store/sqlite/telemetry-schema.js';
import { SqliteTelemetryWriter } from '../../src/store/sqlite/telemetry-writer.js';

// The SQLite telemetry journal (src/store/sqlite/telemetry-journal.ts): data is
// acknowledged once its journal record is written and reaches the tables
// later; these tests stop the process in between.

const T0 = Date.UTC(2026, 10, 1);
const INDEX = fileURLToPath(new URL('../../src/store/sqlite/index.js', import.meta.url));
const tempDir = () => mkdtempSync(join(tmpdir(), 'plexus-journal-'));

/**
 * A child process writes `batches` batches (5 points of one device each,
 * and an event every 10th), waits until every write resolved, and kills
 * itself with SIGKILL at once: the last ones are only in the journal.
 */
function writeThenCrash(dir: string, batches: number): void {
  const script = `
    const { createSqliteStores } = await import(${JSON.stringify(INDEX)});
    const stores = createSqliteStores(${JSON.stringify(dir)});
    const w = stores.telemetryWriter;
    const writes = [];
    for (let b = 0; b < ${batches}; b++) {
      const points = ['a', 'b', 'c', 'd', 'e'].map((key, k) => ({
        tenant: 'acme', device: 'd1', key, ts: ${T0} + b * 1000, value: b * 10 + k }));
      const events = b % 10 === 0 ? [{ tenant: 'acme', device: 'd1', ts: ${T0} + b * 1000, type: 'tick', data: { b } }] : [];
      writes.push(w.write({ points, events }));
    }
    await Promise.all(writes);
    process.kill(process.pid, 'SIGKILL');
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.signal, 'SIGKILL', r.stderr);
}

function journalSeqInDb(dir: string): number {
  const db = openSqlite(dir, TELEMETRY_FILE);
  try {
    return (db.prepare('SELECT seq FROM telemetry_journal_state').get() as { seq: number }).seq;
  } finally {
    db.close();
  }
}

function recordsInJournal(dir: string): number[] {
  return listSegments(join(dir, 'telemetry-journal')).flatMap((s) =>
    readSegment(s.file).records.map((r) => r.seq),
  );
}

describe('telemetry journal (SQLite)', () => {
  test('kill -9 right after the acks: a restart puts every acknowledged point and event in the tables once', async () => {
    const dir = tempDir();
    try {
      writeThenCrash(dir, 200);
      const applied = journalSeqInDb(dir);
      const journaled = recordsInJournal(dir);
      assert.ok(
        journaled.some((seq) => seq > applied),
        `the crash left records the database does not have (applied ${applied}, journal ${journaled.join(',')})`,
      );
      for (let round = 0; round < 2; round++) {
        // The second round reopens after a clean close: nothing is applied twice.
        const stores = createSqliteStores(dir);
        const raw = await stores.telemetry.raw({
          tenant: 'acme',
          device: 'd1',
          key: 'c',
          from: 0,
          to: T0 + 1e9,
          limit: 1000,
        });
        assert.equal(raw.length, 200);
        assert.deepEqual(raw[199], { ts: T0 + 199_000, value: 1992 });
        const [hour] = await stores.telemetry.aggregate({
          tenant: 'acme',
          device: 'd1',
          key: 'e',
          from: 0,
          to: T0 + 1e9,
          interval: 3_600_000,
          source: '1h',
        });
        assert.equal(hour?.count, 200, 'rollups count each point once');
        const events = await stores.telemetry.events({
          tenant: 'acme',
          device: 'd1',
          from: 0,
          to: T0 + 1e9,
          limit: 100,
        });
        assert.equal(events.length, 20, 'events once');
        const latest = await stores.telemetry.latest('acme', 'd1');
        assert.deepEqual(latest.a, { ts: T0 + 199_000, value: 1990 });
        await stores.close();
        assert.deepEqual(recordsInJournal(dir), [], 'a clean close leaves no journal records');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a torn record at the end of a segment is dropped with a warning; the records before it are applied', async () => {
    const dir = tempDir();
    try {
      writeThenCrash(dir, 30);
      const [segment] = listSegments(join(dir, 'telemetry-journal')).slice(-1);
      assert.ok(segment);
      const before = readSegment(segment.file).records.length;
      appendFileSync(segment.file, Buffer.from([200, 0, 0, 0, 1, 2, 3]));
      const lines: string[] = [];
      const log = pino({ level: 'info' }, { write: (l: string) => lines.push(l) });
      const stores = createSqliteStores(dir, log);
      const raw = await stores.telemetry.raw({
        tenant: 'acme',
        device: 'd1',
        key: 'a',
        from: 0,
        to: T0 + 1e9,
        limit: 1000,
      });
      assert.equal(raw.length, 30);
      assert.ok(before > 0);
      assert.ok(
        lines.some((l) => l.includes('incomplete record') && l.includes('"bytes":7')),
        lines.join(''),
      );
      await stores.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('duplicates are found on both paths, also after a restart (new data is acknowledged early, resends wait)', async () => {
    const dir = tempDir();
    try {
      const pt = (ts: number, value: number) => ({ tenant: 'acme', device: 'd1', key: 't', ts, value });
      let stores = createSqliteStores(dir);
      let w = stores.telemetryWriter;
      assert.deepEqual(await w.write({ points: [pt(T0 + 100, 1)], events: [] }), [true]);
      assert.deepEqual(await w.write({ points: [pt(T0 + 100, 2)], events: [] }), [false], 'a resend');
      assert.deepEqual(
        await w.write({ points: [pt(T0 + 50, 3), pt(T0 + 100, 4), pt(T0 + 200, 5)], events: [] }),
        [true, false, true],
        'an older point is new, the resent one is not',
      );
      await stores.close();
      stores = createSqliteStores(dir);
      w = stores.telemetryWriter;
      assert.deepEqual(
        await w.write({ points: [pt(T0 + 200, 6), pt(T0 + 300, 7)], events: [] }),
        [false, true],
        'the newest stored timestamps come back from the database',
      );
      const raw = await stores.telemetry.raw({
        tenant: 'acme',
        device: 'd1',
        key: 't',
        from: 0,
        to: T0 + 1e6,
        limit: 10,
      });
      assert.deepEqual(
        raw.map((r) => r.value),
        [3, 1, 5, 7],
        'the first value of a timestamp stays',
      );
      await stores.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('one process per data directory: a second open is refused, a dead owner’s lock is taken over', async () => {
    const dir = tempDir();
    try {
      const stores = createSqliteStores(dir);
      assert.throws(
        () => createSqliteStores(dir),
        (err: unknown) =>
          err instanceof PlexusError &&
          err.code === 'STORE_DATA_DIR_IN_USE' &&
          err.message.includes(String(process.pid)),
      );
      await stores.close();
      // A pid that cannot be running (above the kernel's pid_max of 2^22).
      writeFileSync(join(dir, 'plexus.lock'), '4194305\n');
      const again = createSqliteStores(dir);
      await again.close();
      assert.ok(!readdirSync(dir).includes('plexus.lock'), 'released on close');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('new data is answered before it reaches the tables, unless the tables are a transaction behind', async () => {
    const dir = tempDir();
    const db = openSqlite(dir, TELEMETRY_FILE);
    migrateSqlite(db, TELEMETRY_MIGRATIONS);
    const rows = () => (db.prepare('SELECT count(*) AS n FROM telemetry').get() as { n: number }).n;
    const writer = new SqliteTelemetryWriter(dir, pino({ level: 'silent' }), {
      journalDir: join(dir, 'telemetry-journal'),
      nextSeq: 1,
      file: TELEMETRY_FILE,
      storedLatest: () => new Map(),
      groupMs: 3_600_000, // only size, a reader or close starts a transaction here
      groupPoints: 100,
    });
    const points = (device: string, n: number) => ({
      points: Array.from({ length: n }, (_, i) => ({
        tenant: 'acme',
        device,
        key: 'k',
        ts: T0 + i,
        value: i,
      })),
      events: [],
    });
    try {
      assert.deepEqual(await writer.write(points('early', 10)), new Array(10).fill(true));
      assert.equal(rows(), 0, 'answered from the journal; the tables follow later');
      assert.equal(writer.backlog, 10);
      await writer.settled();
      assert.equal(rows(), 10, 'a reader makes the writer commit what waits');

      // settled() packs the current turn's writes at once, so the queue is built deterministically:
      // 150 points waiting (more than groupPoints), then a write that must wait for the commit.
      const big = writer.write(points('big', 150));
      void writer.settled();
      const held = writer.write(points('held', 1));
      void writer.settled();
      assert.deepEqual(await held, [true]);
      assert.equal(rows(), 161, 'a held answer comes after the commit that carries it');
      await big;
    } finally {
      await writer.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
