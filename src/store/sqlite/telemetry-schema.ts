import type { SqliteDb } from './database.js';
import type { Migration } from './migrations.js';

/**
 * Telemetry lives in its own SQLite file, `telemetry.db`, beside
 * `plexus.db` (ARCHITECTURE §7). SQLite has one write lock per file, and
 * the telemetry writer thread holds it for tens of milliseconds per commit
 * (large commits are what make ingest cheap). In one file, every alarm,
 * outbox item, rule state, MQTT session and twin written on the main thread
 * queued behind those commits: "database is locked" under load, and rule
 * actions 0.3-6 s late (issue #6, bench/RESULTS.md). In two files the two
 * kinds of writes never wait for each other. The tables refer to devices by
 * (tenant, device) only, so nothing joins across the files; deleting a
 * device forgets its telemetry through the writer.
 */
export const TELEMETRY_FILE = 'telemetry.db';

/** The tables of telemetry.db, parents first. */
export const TELEMETRY_TABLES = [
  'telemetry_series',
  'telemetry',
  'telemetry_1m',
  'telemetry_1h',
  'telemetry_latest',
  'device_events',
  'telemetry_journal_state',
] as const;

/** Released as plexus.db migration 3; the same tables start telemetry.db. */
export const TELEMETRY_TABLES_SQL = `
-- One row per (tenant, device, key): points refer to it by integer (ARCHITECTURE §7).
CREATE TABLE telemetry_series (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  device TEXT NOT NULL,
  key TEXT NOT NULL,
  UNIQUE (tenant, device, key)
) STRICT;

-- kind: 0 number (num), 1 boolean (num 0/1), 2 string (txt). One point per series and ms.
CREATE TABLE telemetry (
  series INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  num REAL,
  txt TEXT,
  PRIMARY KEY (series, ts)
) STRICT, WITHOUT ROWID;

-- Rollups of numeric points, maintained as data arrives; bucket = start of the minute/hour in ms.
CREATE TABLE telemetry_1m (
  series INTEGER NOT NULL,
  bucket INTEGER NOT NULL,
  count INTEGER NOT NULL,
  min REAL NOT NULL,
  max REAL NOT NULL,
  sum REAL NOT NULL,
  first_ts INTEGER NOT NULL,
  first REAL NOT NULL,
  last_ts INTEGER NOT NULL,
  last REAL NOT NULL,
  PRIMARY KEY (series, bucket)
) STRICT, WITHOUT ROWID;

CREATE TABLE telemetry_1h (
  series INTEGER NOT NULL,
  bucket INTEGER NOT NULL,
  count INTEGER NOT NULL,
  min REAL NOT NULL,
  max REAL NOT NULL,
  sum REAL NOT NULL,
  first_ts INTEGER NOT NULL,
  first REAL NOT NULL,
  last_ts INTEGER NOT NULL,
  last REAL NOT NULL,
  PRIMARY KEY (series, bucket)
) STRICT, WITHOUT ROWID;

CREATE TABLE telemetry_latest (
  series INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  num REAL,
  txt TEXT
) STRICT;

CREATE TABLE device_events (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  device TEXT NOT NULL,
  ts INTEGER NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL
) STRICT;
CREATE INDEX device_events_device ON device_events(tenant, device, ts);
`;

/** Released as plexus.db migration 4. */
export const JOURNAL_STATE_SQL = `
-- The highest telemetry journal record whose data is in the tables above, updated in the
-- same transaction as the data: a restart replays exactly the records after it.
CREATE TABLE telemetry_journal_state (seq INTEGER NOT NULL) STRICT;
INSERT INTO telemetry_journal_state (seq) VALUES (0);
`;

export const TELEMETRY_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'telemetry: series, raw points, rollups, latest values, events, journal records applied',
    sql: `${TELEMETRY_TABLES_SQL}${JOURNAL_STATE_SQL}
-- Set when the tables were copied from plexus.db (an installation from before telemetry.db).
CREATE TABLE telemetry_moved (moved_at TEXT NOT NULL) STRICT;
`,
  },
];

/**
 * Copies telemetry that an older installation kept in plexus.db into
 * telemetry.db (migrated already), once: plexus.db migration 9 then drops
 * the old tables. The copy is one transaction of telemetry.db and is
 * marked there, so a crash before the drop neither loses nor doubles data.
 * Returns the points copied, or undefined when there was nothing to move.
 */
export function moveTelemetryOut(main: SqliteDb, telemetry: SqliteDb): number | undefined {
  const old = main.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'telemetry_series'");
  if (!old.get()) return undefined;
  if (telemetry.prepare('SELECT 1 FROM telemetry_moved').get()) return 0;
  telemetry.prepare('ATTACH DATABASE ? AS old').run(main.name);
  try {
    return telemetry
      .transaction(() => {
        for (const t of TELEMETRY_TABLES) {
          telemetry.exec(`DELETE FROM main.${t}; INSERT INTO main.${t} SELECT * FROM old.${t};`);
        }
        telemetry.prepare('INSERT INTO telemetry_moved (moved_at) VALUES (?)').run(new Date().toISOString());
        return (telemetry.prepare('SELECT count(*) AS n FROM main.telemetry').get() as { n: number }).n;
      })
      .immediate();
  } finally {
    telemetry.exec('DETACH DATABASE old');
  }
}
