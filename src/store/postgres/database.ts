import pg from 'pg';
import { PlexusError } from '../../core/errors.js';
import { StoreErrors } from '../errors.js';

/** The pool every PostgreSQL store shares. */
export type PgPool = pg.Pool;
/** A pooled connection, inside a transaction when handed out by `inTransaction`. */
export type PgClient = pg.PoolClient;
/** The pool or a transaction's client: both run queries. */
export type Queryable = Pick<pg.Pool, 'query'>;

export interface PostgresOptions {
  /** `postgres://user:password@host:port/database?…` */
  readonly url: string;
  /** Connections kept at most. */
  readonly poolSize: number;
  /** TLS to the server: off, on with the system CAs, or on without verifying the certificate. */
  readonly tls: 'off' | 'verify' | 'no-verify';
  /** Shown in pg_stat_activity. */
  readonly applicationName?: string;
}

/**
 * Type parsers of this pool (not pg's global ones): bigint (int8) columns
 * hold epoch milliseconds, sequence numbers and counts, all far below 2^53,
 * so they come back as numbers as they do from SQLite.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (v: string) => Number(v); // int8
    if (oid === 1700) return (v: string) => Number(v); // numeric (sum() of bigint)
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

export function openPostgres(opts: PostgresOptions): PgPool {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize,
    application_name: opts.applicationName ?? 'plexus',
    types,
    ...(opts.tls === 'off' ? {} : { ssl: { rejectUnauthorized: opts.tls === 'verify' } }),
  });
  // An idle client losing its server (restart, failover) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs `fn` in one transaction on one connection: COMMIT when it resolves, ROLLBACK when it throws. */
export async function inTransaction<T>(pool: PgPool, fn: (c: PgClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const out = await fn(c);
    await c.query('COMMIT');
    return out;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

/** Maps a unique/primary-key violation (23505) to STORE_CONFLICT; other errors pass through. */
export function rethrowPgConflict(err: unknown, what: string): never {
  if ((err as { code?: string }).code === '23505') {
    throw new PlexusError(StoreErrors.CONFLICT, `${what} already exists`, { cause: err });
  }
  throw err;
}
