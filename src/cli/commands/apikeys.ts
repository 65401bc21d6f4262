import { type Command, Option } from 'commander';
import { path } from '../client.js';
import { contextOf } from '../context.js';
import { emit, formatAgo, formatTable, formatTime, printJson, printLine } from '../output.js';
import { deleteResource, examples } from './shared.js';
import { ROLES } from './users.js';

interface ApiKey {
  readonly id: string;
  readonly tenant: string;
  readonly name: string;
  readonly role: string;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

export function registerApiKeys(program: Command): void {
  const apikeys = program.command('apikeys').description('manage API keys for scripts and integrations');
  examples(
    apikeys
      .command('create')
      .description('create an API key and print it (shown once)')
      .requiredOption('--name <name>', 'what the key is for')
      .addOption(new Option('--role <role>', 'what the key may do').choices(ROLES).makeOptionMandatory())
      .action(async (opts: { name: string; role: string }, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const res = await ctx.client.post<ApiKey & { key: string }>('/api/v1/apikeys', opts);
        if (ctx.json) return printJson(res);
        printLine(`Created API key ${res.id} (${res.role} in tenant ${res.tenant}).`);
        printLine();
        printLine(`Key: ${res.key}`);
        printLine('Warning: store this key now: it will not be shown again.');
        printLine();
        printLine('Use it with:');
        printLine(`  export PLEXUS_URL=${ctx.url} PLEXUS_API_KEY='${res.key}'`);
        printLine('  plexus devices list');
      }),
    'plexus apikeys create --name grafana --role viewer',
  );
  examples(
    apikeys
      .command('list')
      .description('list API keys (never the keys themselves)')
      .action(async (_opts: unknown, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const items = await ctx.client.all<ApiKey>('/api/v1/apikeys', { limit: 1000 });
        emit(ctx.json, { items }, () =>
          formatTable(
            ['ID', 'NAME', 'ROLE', 'CREATED BY', 'CREATED', 'LAST USED'],
            items.map((k) => [
              k.id,
              k.name,
              k.role,
              k.createdBy,
              formatTime(k.createdAt),
              formatAgo(k.lastUsedAt),
            ]),
          ),
        );
      }),
    'plexus apikeys list',
  );
  examples(
    apikeys
      .command('delete')
      .description('revoke an API key at once')
      .argument('<id>', 'key id (see: plexus apikeys list)')
      .option('-y, --yes', 'do not ask for confirmation')
      .action(async (id: string, opts: { yes?: boolean }, cmd: Command) =>
        deleteResource(await contextOf(cmd), 'API key', id, path`/api/v1/apikeys/${id}`, opts.yes),
      ),
    'plexus apikeys delete key-1a2b --yes',
  );
}
