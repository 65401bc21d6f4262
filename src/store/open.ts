import type { Config } from '../config/index.js';
import type { Logger } from '../core/logger.js';
import type { Stores } from './index.js';
import type { MigrationResult } from './sqlite/database.js';
import { createSqliteStores } from './sqlite/index.js';

export type OpenedStores = Stores & { readonly migrations: readonly MigrationResult[] };

/** host:port/database of a PostgreSQL URL: for logs, never the password. */
function where(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
}

/**
 * Opens and migrates the configured backend (store.kind) and logs what ran
 * and where the data goes.
 */
export async function openStores(config: Config, dataDir: string, log: Logger): Promise<OpenedStores> {
  const { kind, url, poolSize, tls } = config.store;
  const opened: OpenedStores =
    kind === 'postgres'
      ? // Loaded only when used: an embedded install never loads the PostgreSQL client.
        await (await import('./postgres/index.js')).createPostgresStores(
          { url: url as string, poolSize, tls },
          log,
        )
      : createSqliteStores(dataDir, log);
  for (const m of opened.migrations) log.info({ version: m.version, name: m.name }, 'database migrated');
  log.info(
    kind === 'postgres' ? { store: 'postgres', at: where(url as string) } : { store: 'sqlite', dataDir },
    'storage opened',
  );
  return opened;
}
