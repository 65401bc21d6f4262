import { Command, Option } from 'commander';
import { VERSION } from '../core/version.js';
import { portNumber } from './args.js';
import { registerApiKeys } from './commands/apikeys.js';
import { registerAudit } from './commands/audit.js';
import { registerCommands } from './commands/commands.js';
import { registerDevices } from './commands/devices.js';
import { registerGroups } from './commands/groups.js';
import { registerMigrate } from './commands/migrate.js';
import { registerMqttUsers } from './commands/mqtt-users.js';
import { registerProfiles } from './commands/profiles.js';
import { registerRules } from './commands/rules.js';
import { registerSession } from './commands/session.js';
import { examples } from './commands/shared.js';
import { registerSim } from './commands/sim.js';
import { registerTenants } from './commands/tenants.js';
import { registerTwin } from './commands/twin.js';
import { registerUsers } from './commands/users.js';
import type { GlobalOptions } from './context.js';
import type { StartOptions } from './start.js';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** start and init: the platform itself loads only when one of them runs, not for every command. */
function registerServer(program: Command): void {
  examples(
    program
      .command('start')
      .description('run the Plexus platform in this process until Ctrl-C or SIGTERM')
      .option('-c, --config <file>', 'configuration file (YAML or JSON)')
      .option('--data-dir <dir>', 'where the database and keys live')
      .option('--http-port <n>', 'HTTP port for the API and dashboard', portNumber)
      .option('--log-level <level>', 'trace, debug, info, warn or error')
      .action(async (opts: StartOptions) => (await import('./start.js')).runStart(opts)),
    'npx plexus start --data-dir ./data --http-port 8080',
  );
  examples(
    program
      .command('init')
      .description('create the data directory, database and first admin user, then exit')
      .option('-c, --config <file>', 'configuration file (YAML or JSON)')
      .option('--data-dir <dir>', 'where the database and keys live')
      .action(async (opts: { config?: string; dataDir?: string }, cmd: Command) => {
        const json = cmd.optsWithGlobals<GlobalOptions>().json;
        return (await import('./init.js')).runInit({ ...opts, ...(json === undefined ? {} : { json }) });
      }),
    'npx plexus init --data-dir ./data',
  );
}

/**
 * The whole command tree. Settings made before the subcommands are added
 * (exit override, help layout, suggestions) are inherited by every one of them.
 */
export function buildProgram(): Command {
  const program = new Command('plexus')
    .description(
      'Plexus, an open M2M/IoT platform: run it (start, init), move its store (migrate) and manage it over its REST API',
    )
    .version(VERSION, '-V, --version')
    .addOption(new Option('--url <url>', 'Plexus server URL').env('PLEXUS_URL').default(DEFAULT_URL))
    .addOption(new Option('--api-key <key>', 'API key to use instead of a saved login').env('PLEXUS_API_KEY'))
    .addOption(new Option('--tenant <id>', 'act in this tenant (platform admins)').env('PLEXUS_TENANT'))
    .option('--json', "print the API's JSON document instead of tables")
    .configureHelp({ showGlobalOptions: true })
    .showSuggestionAfterError()
    .exitOverride();
  registerServer(program);
  registerMigrate(program);
  registerSession(program);
  registerDevices(program);
  registerProfiles(program);
  registerGroups(program);
  registerTwin(program);
  registerCommands(program);
  registerRules(program);
  registerUsers(program);
  registerApiKeys(program);
  registerMqttUsers(program);
  registerTenants(program);
  registerAudit(program);
  registerSim(program);
  return examples(
    program,
    'npx plexus start',
    'plexus login --username admin',
    'plexus devices create press-7',
    'plexus devices list --json',
  );
}
