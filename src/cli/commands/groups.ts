import type { Command } from 'commander';
import { path } from '../client.js';
import { type Context, contextOf } from '../context.js';
import { emit, formatRecord, formatTable, formatTime } from '../output.js';
import { defined, deleteResource, examples, requireChanges } from './shared.js';

interface Group {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

interface FieldOptions {
  readonly name?: string;
  readonly description?: string;
}

function showGroup(g: Group): string {
  return formatRecord([
    ['ID', g.id],
    ['Name', g.name],
    ['Description', g.description],
    ['Created', formatTime(g.createdAt)],
    ['Updated', formatTime(g.updatedAt)],
  ]);
}

async function create(ctx: Context, id: string, opts: FieldOptions): Promise<void> {
  const res = await ctx.client.post<Group>('/api/v1/groups', {
    id,
    ...defined({ name: opts.name, description: opts.description }),
  });
  emit(
    ctx.json,
    res,
    () => `Created group ${res.id}. Add devices with: plexus devices update <id> --group ${res.id}`,
  );
}

async function update(ctx: Context, id: string, opts: FieldOptions): Promise<void> {
  const body = defined({ name: opts.name, description: opts.description });
  requireChanges(body, '--name, --description');
  const res = await ctx.client.patch<Group>(path`/api/v1/groups/${id}`, body);
  emit(ctx.json, res, () => `Updated group ${id}.\n\n${showGroup(res)}`);
}

export function registerGroups(program: Command): void {
  const groups = program.command('groups').description('manage device groups (for targeting and filtering)');
  examples(
    groups
      .command('create')
      .description('create a group; devices join it with `devices update --group`')
      .argument('<id>', 'group id')
      .option('--name <name>', 'display name')
      .option('--description <text>', 'what the group is for')
      .action(async (id: string, opts: FieldOptions, cmd: Command) => create(await contextOf(cmd), id, opts)),
    'plexus groups create line-1 --name "Assembly line 1"',
  );
  examples(
    groups
      .command('list')
      .description('list groups')
      .action(async (_opts: unknown, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const items = await ctx.client.all<Group>('/api/v1/groups', { limit: 1000 });
        emit(ctx.json, { items }, () =>
          formatTable(
            ['ID', 'NAME', 'DESCRIPTION'],
            items.map((g) => [g.id, g.name, g.description]),
          ),
        );
      }),
    'plexus groups list',
  );
  examples(
    groups
      .command('show')
      .description('show one group (its devices: plexus devices list --group <id>)')
      .argument('<id>', 'group id')
      .action(async (id: string, _opts: unknown, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const g = await ctx.client.get<Group>(path`/api/v1/groups/${id}`);
        emit(ctx.json, g, () => showGroup(g));
      }),
    'plexus groups show line-1',
  );
  examples(
    groups
      .command('update')
      .description("change a group's name or description")
      .argument('<id>', 'group id')
      .option('--name <name>', 'display name')
      .option('--description <text>', 'what the group is for')
      .action(async (id: string, opts: FieldOptions, cmd: Command) => update(await contextOf(cmd), id, opts)),
    'plexus groups update line-1 --description "Night shift"',
  );
  examples(
    groups
      .command('delete')
      .description('delete a group (its devices stay)')
      .argument('<id>', 'group id')
      .option('-y, --yes', 'do not ask for confirmation')
      .action(async (id: string, opts: { yes?: boolean }, cmd: Command) =>
        deleteResource(await contextOf(cmd), 'group', id, path`/api/v1/groups/${id}`, opts.yes),
      ),
    'plexus groups delete line-1 --yes',
  );
}
