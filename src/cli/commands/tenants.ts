import type { Command } from 'commander';
import { path } from '../client.js';
import { contextOf } from '../context.js';
import { emit, formatRecord, formatTable, formatTime } from '../output.js';
import { defined, deleteResource, examples } from './shared.js';

interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Tenants are managed by platform admins only; other principals get 403 from the server. */
export function registerTenants(program: Command): void {
  const tenants = program.command('tenants').description('manage tenants (platform admins only)');
  examples(
    tenants
      .command('create')
      .description('create a tenant: an isolated space with its own devices, users and topics')
      .argument('<id>', "tenant id (also the @suffix of its devices' MQTT user names)")
      .option('--name <name>', 'display name')
      .action(async (id: string, opts: { name?: string }, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const res = await ctx.client.post<Tenant>('/api/v1/tenants', { id, ...defined({ name: opts.name }) });
        emit(
          ctx.json,
          res,
          () =>
            `Created tenant ${res.id}.\nNext: plexus users create <name> --role admin --tenant-of-user ${res.id}`,
        );
      }),
    'plexus tenants create acme --name "ACME Corp"',
  );
  examples(
    tenants
      .command('list')
      .description('list tenants')
      .action(async (_opts: unknown, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const items = await ctx.client.all<Tenant>('/api/v1/tenants', { limit: 1000 });
        emit(ctx.json, { items }, () =>
          formatTable(
            ['ID', 'NAME', 'CREATED'],
            items.map((t) => [t.id, t.name, formatTime(t.createdAt)]),
          ),
        );
      }),
    'plexus tenants list',
  );
  examples(
    tenants
      .command('show')
      .description('show one tenant')
      .argument('<id>', 'tenant id')
      .action(async (id: string, _opts: unknown, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const t = await ctx.client.get<Tenant>(path`/api/v1/tenants/${id}`);
        emit(ctx.json, t, () =>
          formatRecord([
            ['ID', t.id],
            ['Name', t.name],
            ['Created', formatTime(t.createdAt)],
            ['Updated', formatTime(t.updatedAt)],
          ]),
        );
      }),
    'plexus tenants show acme',
  );
  examples(
    tenants
      .command('delete')
      .description('delete a tenant')
      .argument('<id>', 'tenant id')
      .option('-y, --yes', 'do not ask for confirmation')
      .action(async (id: string, opts: { yes?: boolean }, cmd: Command) =>
        deleteResource(await contextOf(cmd), 'tenant', id, path`/api/v1/tenants/${id}`, opts.yes),
      ),
    'plexus tenants delete acme --yes',
  );
}
