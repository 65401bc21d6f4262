import type { Command } from 'commander';
import type { StoreOptions } from '../migrate.js';
import { examples } from './shared.js';

// The export and import themselves (../migrate.js, the store code) load only when they run.
const STORE_HELP =
  'the store comes from the configuration: --config, PLEXUS_STORE_URL for PostgreSQL, --data-dir for SQLite';

/** `plexus migrate export|import` (docs/migrate.md). */
export function registerMigrate(program: Command): void {
  const migrate = program
    .command('migrate')
    .description(
      'copy the whole store to a file and back: SQLite to PostgreSQL, PostgreSQL to SQLite, backups',
    );
  examples(
    migrate
      .command('export')
      .description(
        `write every table of the configured store to a gzip NDJSON file (${STORE_HELP}); safe while Plexus runs`,
      )
      .requiredOption('--out <file>', 'file to write (usually *.plexus.gz); - for stdout')
      .option('-c, --config <file>', 'configuration file (YAML or JSON)')
      .option('--data-dir <dir>', 'SQLite data directory to export')
      .action(async (opts: StoreOptions & { out: string }) =>
        (await import('../migrate.js')).runExport(opts),
      ),
    'plexus migrate export --data-dir ./data --out backup.plexus.gz',
    'PLEXUS_STORE_URL=postgres://plexus@db/plexus plexus migrate export --out backup.plexus.gz',
  );
  examples(
    migrate
      .command('import')
      .description(`load an export into the configured store, which must be empty (${STORE_HELP})`)
      .requiredOption('--in <file>', 'export file to read; - for stdin')
      .option('-c, --config <file>', 'configuration file (YAML or JSON)')
      .option('--data-dir <dir>', 'SQLite data directory to import into (created if missing)')
      .action(async (opts: StoreOptions & { in: string }) => (await import('../migrate.js')).runImport(opts)),
    'PLEXUS_STORE_URL=postgres://plexus@db/plexus plexus migrate import --in backup.plexus.gz',
    'plexus migrate import --data-dir ./restored --in backup.plexus.gz',
  );
  examples(
    migrate,
    'plexus migrate export --data-dir ./data --out backup.plexus.gz',
    'PLEXUS_STORE_URL=postgres://plexus@db/plexus plexus migrate import --in backup.plexus.gz',
  );
}
