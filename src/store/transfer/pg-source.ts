import { PlexusError } from '../../core/errors.js';
import { openPostgres, type PgClient, type PostgresOptions } from '../postgres/database.js';
import { POSTGRES_MIGRATIONS } from '../postgres/schema.js';
import type { ExportSource } from './backend.js';
import { TransferErrors } from './errors.js';
import type { DbValue } from './format.js';
import { latestOf } from './sqlite-source.js';
import { checkSourceTables, quoteIdent } from './tables.js';

const PAGE_ROWS = 2000;

/** `db on host:port`, without the password. */
export function describePg(url: string): string {
  try {
    const u = new URL(url);
    return `PostgreSQL database ${u.pathname.slice(1) || '(default)'} on ${u.host}`;
  } catch {
    return 'PostgreSQL database';
  }
}

/** The schema version of a PostgreSQL database; 0 when it has no Plexus schema. */
export async function pgSchemaVersion(c: PgClient): Promise<number> {
  const has = await c.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS has");
  if (!(has.rows[0] as { has: boolean }).has) return 0;
  return (
    ((await c.query('SELECT max(version) AS v FROM schema_migrations')).rows[0] as { v: number | null }).v ??
    0
  );
}

/**
 * Exports a PostgreSQL database inside one REPEATABLE READ, READ ONLY
 * transaction: one snapshot of every table, safe while Plexus nodes keep
 * writing. Rows come through a cursor, a page at a time.
 */
export async function openPgSource(opts: PostgresOptions): Promise<ExportSource> {
  const pool = openPostgres({ ...opts, poolSize: 1, applicationName: 'plexus-export' });
  const where = describePg(opts.url);
  let c: PgClient | undefined;
  try {
    c = await pool.connect();
    const client = c;
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const version = await pgSchemaVersion(client);
    const latest = latestOf(POSTGRES_MIGRATIONS);
    if (version === 0)
      throw new PlexusError(
        TransferErrors.SOURCE_NOT_FOUND,
        `${where} holds no Plexus schema: check store.url`,
      );
    if (version !== latest) {
      throw new PlexusError(
        TransferErrors.SCHEMA_MISMATCH,
        `${where} has schema version ${version}, this Plexus exports version ${latest}: ${version < latest ? 'start this Plexus once on it (it migrates), then export' : 'export with the newer Plexus that wrote it'}`,
      );
    }
    // Tables and partitioned parents; their partitions are read through the parent.
    const tables = await client.query(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition`,
    );
    checkSourceTables(
      tables.rows.map((r: { name: string }) => r.name),
      where,
    );
    return {
      schema: { postgres: version },
      description: where,
      notes: [],
      async columns(table) {
        const r = await client.query(
          `SELECT column_name FROM information_schema.columns
           WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
          [table],
        );
        return r.rows.map((x: { column_name: string }) => x.column_name);
      },
      async *rows(table, columns) {
        await client.query(
          `DECLARE plexus_export NO SCROLL CURSOR FOR SELECT ${columns.map(quoteIdent).join(', ')} FROM ${quoteIdent(table)}`,
        );
        try {
          for (;;) {
            const page = await client.query({
              text: `FETCH ${PAGE_ROWS} FROM plexus_export`,
              rowMode: 'array',
            });
            if (page.rows.length === 0) break;
            yield page.rows as DbValue[][];
          }
        } finally {
          await client.query('CLOSE plexus_export');
        }
      },
      async close() {
        await client.query('COMMIT').catch(() => undefined);
        client.release();
        await pool.end();
      },
    };
  } catch (err) {
    c?.release();
    await pool.end().catch(() => undefined);
    throw err;
  }
}
