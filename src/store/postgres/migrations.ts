import { PlexusError } from '../../core/errors.js';
import { StoreErrors } from '../errors.js';
import type { MigrationResult } from '../sqlite/database.js';
import type { PgPool } from './database.js';
import { type PgMigration, POSTGRES_MIGRATIONS } from './schema.js';

/** Key of the advisory lock that serialises migrations across nodes (any constant shared by all). */
const MIGRATION_LOCK = 0x706c6578; // "plex"

/**
 * Applies the pending migrations in ONE transaction that first takes a
 * transaction-scoped advisory lock: nodes starting together migrate one at
 * a time (the others then find nothing to do), and a failure rolls back
 * every statement of the run (PostgreSQL DDL is transactional), leaving
 * the schema as it was.
 */
export async function migratePostgres(
  pool: PgPool,
  migrations: readonly PgMigration[] = POSTGRES_MIGRATIONS,
): Promise<MigrationResult[]> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await c.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)`);
    const current =
      ((await c.query('SELECT max(version) AS v FROM schema_migrations')).rows[0] as { v: number | null })
        .v ?? 0;
    const latest = migrations.reduce((m, x) => Math.max(m, x.version), 0);
    if (current > latest) {
      throw new PlexusError(
        StoreErrors.SCHEMA_TOO_NEW,
        `database schema version ${current} is newer than this Plexus knows (${latest}); upgrade Plexus`,
      );
    }
    const applied: MigrationResult[] = [];
    for (const m of migrations) {
      if (m.version <= current) continue;
      try {
        await c.query(m.sql);
      } catch (cause) {
        throw new PlexusError(
          StoreErrors.MIGRATION_FAILED,
          `migration ${m.version} (${m.name}) failed and was rolled back: ${(cause as Error).message}`,
          { cause },
        );
      }
      await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        new Date().toISOString(),
      ]);
      applied.push({ version: m.version, name: m.name });
    }
    await c.query('COMMIT');
    return applied;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}
