import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The machine's PostgreSQL service (trust auth) as its superuser; override
 * with PLEXUS_TEST_PG_URL. Tests never skip when it is down: they fail and
 * say how to reach it.
 */
export const PG_ADMIN_URL = process.env.PLEXUS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface FreshDatabase {
  /** Connection URL of the new, empty database. */
  readonly url: string;
  readonly name: string;
  /** Drops the database (closing what is still connected to it). */
  drop(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  try {
    await c.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${PG_ADMIN_URL} (${(err as Error).message}): start the machine's ` +
        'postgresql service or set PLEXUS_TEST_PG_URL to a superuser URL',
    );
  }
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A new database of its own for one test, suite or app. */
export async function freshDatabase(prefix = 'plexus_t'): Promise<FreshDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
