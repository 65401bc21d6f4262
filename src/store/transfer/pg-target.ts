import { openPostgres, type PgClient, type PostgresOptions } from '../postgres/database.js';
import { migratePostgres } from '../postgres/migrations.js';
import { POSTGRES_MIGRATIONS } from '../postgres/schema.js';
import type { ImportTarget, TargetColumn } from './backend.js';
import { ImportPartitions } from './pg-partitions.js';
import { describePg } from './pg-source.js';
import type { BindValue } from './reader.js';
import { latestOf } from './sqlite-source.js';
import { quoteIdent, TRANSFER_TABLES, type TransferTable } from './tables.js';

/** Two imports into one database queue behind this transaction-scoped advisory lock. */
const IMPORT_LOCK = 0x706c6569; // "plei"

interface PgColumn extends TargetColumn {
  /** Element type for the unnest() cast (`int8`, `text`, `bytea`, `float8` ...). */
  readonly type: string;
  /** An identity or serial column, whose sequence must move past the imported keys. */
  readonly sequence: boolean;
}

/**
 * Imports into a PostgreSQL database, migrated first as a start would do.
 * Everything happens in ONE transaction (PostgreSQL has no trouble with a
 * large one), so a failure or a kill at any point leaves the database as
 * it was. Rows go in batches as `INSERT … SELECT FROM unnest($1::type[], …)`:
 * one parameter per column whatever the batch size, and one round trip per
 * batch.
 */
export async function openPgTarget(opts: PostgresOptions): Promise<ImportTarget> {
  const pool = openPostgres({ ...opts, poolSize: 1, applicationName: 'plexus-import' });
  let c: PgClient | undefined;
  try {
    await migratePostgres(pool);
    c = await pool.connect();
  } catch (err) {
    c?.release();
    await pool.end().catch(() => undefined);
    throw err;
  }
  const client = c;
  const partitions = new ImportPartitions(client);
  const columnCache = new Map<string, Map<string, PgColumn>>();
  async function columnsOf(table: TransferTable): Promise<Map<string, PgColumn>> {
    let cols = columnCache.get(table);
    if (cols) return cols;
    const r = await client.query(
      `SELECT column_name, udt_name, is_nullable, column_default, is_identity
       FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`,
      [table],
    );
    cols = new Map(
      r.rows.map(
        (x: {
          column_name: string;
          udt_name: string;
          is_nullable: string;
          column_default: string | null;
          is_identity: string;
        }) => {
          const sequence = x.is_identity === 'YES' || (x.column_default ?? '').startsWith('nextval(');
          const required = x.is_nullable === 'NO' && x.column_default === null && !sequence;
          return [x.column_name, { type: x.udt_name, sequence, required }] as const;
        },
      ),
    );
    columnCache.set(table, cols);
    return cols;
  }
  return {
    description: describePg(opts.url),
    schema: { postgres: latestOf(POSTGRES_MIGRATIONS) },
    async begin() {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [IMPORT_LOCK]);
    },
    async occupied() {
      const out: string[] = [];
      for (const t of TRANSFER_TABLES) {
        const r = await client.query(`SELECT EXISTS (SELECT 1 FROM ${quoteIdent(t)}) AS has`);
        if ((r.rows[0] as { has: boolean }).has) out.push(t);
      }
      return out;
    },
    async clear() {
      // Also locks the tables (ACCESS EXCLUSIVE) until commit: nothing writes beside the import.
      await client.query(`TRUNCATE ${TRANSFER_TABLES.map(quoteIdent).join(', ')}`);
    },
    columns: columnsOf,
    async insert(table, columns, rows) {
      const info = await columnsOf(table);
      await partitions.ensure(table, columns, rows);
      const arrays: BindValue[][] = columns.map(() => new Array(rows.length));
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i] as BindValue[];
        for (let j = 0; j < columns.length; j++) (arrays[j] as BindValue[])[i] = row[j] as BindValue;
      }
      const identity = columns.some((n) => info.get(n)?.sequence === true);
      const casts = columns.map((n, j) => `$${j + 1}::${quoteIdent((info.get(n) as PgColumn).type)}[]`);
      await client.query(
        `INSERT INTO ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')})${identity ? ' OVERRIDING SYSTEM VALUE' : ''}
         SELECT * FROM unnest(${casts.join(', ')})`,
        arrays,
      );
    },
    async commit() {
      for (const t of TRANSFER_TABLES) {
        for (const [name, col] of await columnsOf(t)) {
          if (!col.sequence) continue;
          // The next generated key follows the highest imported one (1 on an empty table).
          await client.query(
            `SELECT setval(pg_get_serial_sequence($1, $2), coalesce((SELECT max(${quoteIdent(name)}) FROM ${quoteIdent(t)}), 0) + 1, false)`,
            [quoteIdent(t), name],
          );
        }
      }
      await client.query('COMMIT');
      // Fresh planner statistics for tables that went from empty to full in one go.
      await client.query(`ANALYZE ${TRANSFER_TABLES.map(quoteIdent).join(', ')}`);
    },
    async rollback() {
      await client.query('ROLLBACK');
    },
    async close() {
      client.release();
      await pool.end();
    },
  };
}
