import { type Command, Option } from 'commander';
import { collect, collectLabelFilters, collectLabels, positiveInt } from '../args.js';
import { path } from '../client.js';
import { type Context, contextOf } from '../context.js';
import { usageError } from '../errors.js';
import {
  emit,
  formatAgo,
  formatLabels,
  formatRecord,
  formatTable,
  formatTime,
  printJson,
  printLine,
} from '../output.js';
import { printSecret, registerDeviceCredentials } from './device-credentials.js';
import { defined, deleteResource, examples, moreHint, type Page, requireChanges } from './shared.js';

export interface Device {
  readonly id: string;
  readonly name: string;
  readonly profile: string;
  readonly groups: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly enabled: boolean;
  readonly status: string;
  readonly lastSeen: string | null;
  readonly firmware: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

interface CreateOptions {
  readonly name?: string;
  readonly profile?: string;
  readonly group?: string[];
  readonly label?: Record<string, string>;
}

interface ListOptions {
  readonly profile?: string;
  readonly group?: string;
  readonly status?: string;
  readonly label?: string[];
  readonly search?: string;
  readonly limit?: number;
  readonly all?: boolean;
}

interface UpdateOptions extends CreateOptions {
  readonly enable?: boolean;
  readonly disable?: boolean;
}

function showDevice(d: Device): string {
  return formatRecord([
    ['ID', d.id],
    ['Name', d.name],
    ['Profile', d.profile],
    ['Enabled', d.enabled ? 'yes' : 'no (cannot connect)'],
    ['Status', d.status],
    ['Last seen', formatAgo(d.lastSeen)],
    ['Firmware', d.firmware ?? ''],
    ['Groups', d.groups.join(', ')],
    ['Labels', formatLabels(d.labels)],
    ['Created', formatTime(d.createdAt)],
    ['Updated', formatTime(d.updatedAt)],
  ]);
}

export function deviceRows(items: readonly Device[], now = Date.now()): string[][] {
  return items.map((d) => [
    d.id,
    d.name,
    d.profile,
    d.enabled ? d.status : `${d.status} (disabled)`,
    formatAgo(d.lastSeen, now),
    d.groups.join(','),
  ]);
}

async function create(ctx: Context, id: string | undefined, opts: CreateOptions): Promise<void> {
  const body = defined({
    id,
    name: opts.name,
    profile: opts.profile,
    groups: opts.group,
    labels: opts.label,
  });
  const res = await ctx.client.post<Device & { secret: string }>('/api/v1/devices', body);
  if (ctx.json) return printJson(res);
  printLine(`Created device ${res.id} (profile ${res.profile}).`);
  printLine();
  await printSecret(ctx, res.id, res.secret);
}

async function list(ctx: Context, opts: ListOptions): Promise<void> {
  const query = {
    profile: opts.profile,
    group: opts.group,
    status: opts.status,
    label: opts.label,
    q: opts.search,
  };
  const page: Page<Device> = opts.all
    ? { items: await ctx.client.all<Device>('/api/v1/devices', { ...query, limit: opts.limit ?? 1000 }) }
    : await ctx.client.get<Page<Device>>('/api/v1/devices', { ...query, limit: opts.limit });
  emit(ctx.json, page, () =>
    page.items.length === 0
      ? 'No devices match.'
      : formatTable(['ID', 'NAME', 'PROFILE', 'STATUS', 'LAST SEEN', 'GROUPS'], deviceRows(page.items)) +
        moreHint(page.next, 'add --all to list every one'),
  );
}

async function update(ctx: Context, id: string, opts: UpdateOptions): Promise<void> {
  if (opts.enable && opts.disable) throw usageError('--enable and --disable cannot be used together');
  const enabled = opts.enable ? true : opts.disable ? false : undefined;
  const body = defined({
    name: opts.name,
    profile: opts.profile,
    groups: opts.group,
    labels: opts.label,
    enabled,
  });
  requireChanges(body, '--name, --profile, --group, --label, --enable, --disable');
  const res = await ctx.client.patch<Device>(path`/api/v1/devices/${id}`, body);
  emit(ctx.json, res, () => `Updated device ${id}.\n\n${showDevice(res)}`);
}

/** Options shared by create and update: the fields a device has. */
function fieldOptions(cmd: Command, verb: string): Command {
  return cmd
    .option('--name <name>', 'display name')
    .option('--profile <id>', `profile (device type)${verb === 'create' ? "; default: 'default'" : ''}`)
    .option(
      '--group <id>',
      `group membership, repeatable${verb === 'update' ? ' (replaces the list)' : ''}`,
      collect,
    )
    .option(
      '--label <key=value>',
      `label, repeatable${verb === 'update' ? ' (replaces all labels)' : ''}`,
      collectLabels,
    );
}

export function registerDevices(program: Command): void {
  const devices = program.command('devices').description('manage devices: create, list, update, credentials');

  examples(
    fieldOptions(
      devices.command('create').description('register a device and print its secret (shown once)'),
      'create',
    )
      .argument('[id]', 'device id (letters, digits, - _ .); generated when left out')
      .action(async (id: string | undefined, opts: CreateOptions, cmd: Command) =>
        create(await contextOf(cmd), id, opts),
      ),
    'plexus devices create press-7 --profile press --group line-1 --label site=lyon',
  );
  examples(
    devices
      .command('list')
      .description('list devices, filtered by profile, group, status, labels or a search')
      .option('--profile <id>', 'only devices of this profile')
      .option('--group <id>', 'only members of this group')
      .addOption(
        new Option('--status <status>', 'only devices in this state').choices([
          'online',
          'offline',
          'unknown',
        ]),
      )
      .option(
        '--label <key=value>',
        'only devices with this label, repeatable (all must match)',
        collectLabelFilters,
      )
      .option('--search <text>', 'match id or name')
      .option('--limit <n>', 'page size (default 100, max 1000)', positiveInt)
      .option('--all', 'follow pages until every matching device is listed')
      .action(async (opts: ListOptions, cmd: Command) => list(await contextOf(cmd), opts)),
    'plexus devices list --group line-1 --status offline',
    'plexus devices list --label site=lyon --all --json',
  );
  examples(
    devices
      .command('show')
      .description("show one device's details")
      .argument('<id>', 'device id')
      .action(async (id: string, _opts: unknown, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const d = await ctx.client.get<Device>(path`/api/v1/devices/${id}`);
        emit(ctx.json, d, () => showDevice(d));
      }),
    'plexus devices show press-7',
  );
  examples(
    fieldOptions(
      devices.command('update').description("change a device's name, profile, groups, labels or state"),
      'update',
    )
      .argument('<id>', 'device id')
      .option('--enable', 'allow the device to connect again')
      .option('--disable', 'refuse its connections (data and twin are kept)')
      .action(async (id: string, opts: UpdateOptions, cmd: Command) =>
        update(await contextOf(cmd), id, opts),
      ),
    'plexus devices update press-7 --name "Press 7" --group line-1 --group line-2',
    'plexus devices update press-7 --disable',
  );
  examples(
    devices
      .command('delete')
      .description('delete a device, its credentials and its data')
      .argument('<id>', 'device id')
      .option('-y, --yes', 'do not ask for confirmation')
      .action(async (id: string, opts: { yes?: boolean }, cmd: Command) =>
        deleteResource(await contextOf(cmd), 'device', id, path`/api/v1/devices/${id}`, opts.yes),
      ),
    'plexus devices delete press-7 --yes',
  );
  registerDeviceCredentials(devices);
}
