import { type Command, Option } from 'commander';
import { collectAssignment, duration, positiveInt } from '../args.js';
import { path } from '../client.js';
import { type Context, contextOf } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { emit, formatRecord, formatTable, printLine } from '../output.js';
import { defined, examples, moreHint, type Page } from './shared.js';

interface DeviceCommand {
  readonly id: string;
  readonly device: string;
  readonly name: string;
  readonly params: Record<string, unknown>;
  readonly oneWay: boolean;
  readonly status: string;
  readonly createdAt: number;
  readonly sentAt?: number;
  readonly deliveredAt?: number;
  readonly completedAt?: number;
  readonly result?: unknown;
  readonly error?: unknown;
  readonly actor: string;
  readonly batch?: string;
}

interface SendOptions {
  readonly param?: Record<string, unknown>;
  readonly params?: string;
  readonly timeout?: string;
  readonly ttl?: string;
  readonly oneWay?: boolean;
  readonly wait?: string;
  readonly rate?: number;
}

const STATUSES = ['queued', 'sent', 'delivered', 'succeeded', 'failed', 'timed_out', 'expired', 'cancelled'];
const UNSUCCESSFUL = new Set(['failed', 'timed_out', 'expired', 'cancelled']);
const when = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString());

function showCommand(c: DeviceCommand): string {
  return formatRecord([
    ['ID', c.id],
    ['Device', c.device],
    ['Name', c.name],
    ['Params', JSON.stringify(c.params)],
    ['Status', c.status],
    ['Result', c.result === undefined ? '' : JSON.stringify(c.result)],
    ['Error', c.error === undefined ? '' : JSON.stringify(c.error)],
    ['Created', when(c.createdAt)],
    ['Sent', when(c.sentAt)],
    ['Delivered', when(c.deliveredAt)],
    ['Finished', when(c.completedAt)],
    ['By', c.actor],
  ]);
}

function body(opts: SendOptions, name: string): Record<string, unknown> {
  let params: Record<string, unknown> = {};
  if (opts.params !== undefined) {
    try {
      params = JSON.parse(opts.params) as Record<string, unknown>;
    } catch {
      throw usageError('--params must be a JSON object, e.g. \'{"speed": 3}\'');
    }
  }
  return defined({
    name,
    params: { ...params, ...opts.param },
    timeout: opts.timeout,
    ttl: opts.ttl,
    oneWay: opts.oneWay,
  });
}

/** Waiting calls get the wait plus a margin before the client gives up. */
const waitTimeout = (wait: string | undefined) => (wait === undefined ? {} : { timeoutMs: 75_000 });

async function send(ctx: Context, device: string, name: string, opts: SendOptions): Promise<void> {
  const query = opts.wait === undefined ? '' : `?wait=${encodeURIComponent(opts.wait)}`;
  const c = await ctx.client.post<DeviceCommand>(
    `${path`/api/v1/devices/${device}/commands`}${query}`,
    body(opts, name),
    waitTimeout(opts.wait),
  );
  emit(ctx.json, c, () => `Command ${c.id} to ${device}: ${c.status}\n\n${showCommand(c)}`);
  // A command that ended badly is a failure for scripts too.
  if (UNSUCCESSFUL.has(c.status)) throw new CliError([`Error: command ${c.id} ended ${c.status}`], 1);
}

function commandOptions(cmd: Command): Command {
  return cmd
    .option(
      '--param <key=value>',
      'a parameter, repeatable (dotted keys nest; JSON values)',
      collectAssignment,
    )
    .option('--params <json>', 'all parameters as a JSON object')
    .option('--timeout <duration>', 'answer expected within (default 30s)', duration)
    .option('--ttl <duration>', 'delivery within, else expired (default 1d)', duration)
    .option('--one-way', 'no answer expected: finished once delivered');
}

export function registerCommands(program: Command): void {
  const commands = program.command('commands').description('send commands to devices and follow them');
  examples(
    commandOptions(
      commands
        .command('send')
        .description('send a command to one device')
        .argument('<device>', 'device id')
        .argument('<name>', 'command name, e.g. shutdown'),
    )
      .option('--wait <duration>', 'wait up to this long (max 60s) for the result')
      .action(async (device: string, name: string, opts: SendOptions, cmd: Command) =>
        send(await contextOf(cmd), device, name, opts),
      ),
    'plexus commands send press-7 shutdown --param reason=overheat --wait 10s',
    'plexus commands send valve-2 open --params \'{"percent": 40}\' --ttl 1h',
  );
  examples(
    commandOptions(
      commands
        .command('send-group')
        .description('send a command to every device of a group, paced')
        .argument('<group>', 'group id')
        .argument('<name>', 'command name'),
    )
      .option('--rate <n>', 'commands per second (default 100)', positiveInt)
      .action(async (group: string, name: string, opts: SendOptions, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const b = await ctx.client.post<{ id: string; total: number }>(
          path`/api/v1/groups/${group}/commands`,
          {
            ...body(opts, name),
            ...defined({ rate: opts.rate }),
          },
        );
        emit(
          ctx.json,
          b,
          () => `Sent ${name} to ${b.total} devices of ${group}. Follow it: plexus commands batch ${b.id}`,
        );
      }),
    'plexus commands send-group line-3 reboot --ttl 1h --rate 20',
  );
  examples(
    commands
      .command('batch')
      .description('how a group send is going: commands per status')
      .argument('<id>', 'group send id (printed by send-group)')
      .action(async (id: string, _opts: unknown, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const b = await ctx.client.get<{ name: string; total: number; counts: Record<string, number> }>(
          path`/api/v1/commands/batches/${id}`,
        );
        emit(ctx.json, b, () =>
          formatRecord([
            ['Group send', id],
            ['Command', b.name],
            ['Devices', String(b.total)],
            ...STATUSES.filter((s) => b.counts[s]).map((s): [string, string] => [s, String(b.counts[s])]),
          ]),
        );
      }),
    'plexus commands batch batch-0a1b2c3d4e5f6a7b',
  );
  examples(
    commands
      .command('list')
      .description('commands, newest first')
      .option('--device <id>', "only this device's")
      .addOption(new Option('--status <status>', 'only in this status').choices(STATUSES))
      .option('--batch <id>', 'only those of a group send')
      .option('--limit <n>', 'page size (default 100, max 1000)', positiveInt)
      .action(
        async (opts: { device?: string; status?: string; batch?: string; limit?: number }, cmd: Command) => {
          const ctx = await contextOf(cmd);
          const page = await ctx.client.get<Page<DeviceCommand>>('/api/v1/commands', { ...opts });
          emit(ctx.json, page, () =>
            page.items.length === 0
              ? 'No commands match.'
              : formatTable(
                  ['ID', 'DEVICE', 'NAME', 'STATUS', 'CREATED'],
                  page.items.map((c) => [c.id, c.device, c.name, c.status, when(c.createdAt)]),
                ) + moreHint(page.next, 'use --limit or filters'),
          );
        },
      ),
    'plexus commands list --device press-7 --status queued',
  );
  examples(
    commands
      .command('show')
      .description('one command, with its result')
      .argument('<id>', 'command id')
      .option('--wait <duration>', 'wait up to this long (max 60s) for it to finish', duration)
      .action(async (id: string, opts: { wait?: string }, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const c = await ctx.client.request<DeviceCommand>('GET', path`/api/v1/commands/${id}`, {
          ...(opts.wait === undefined ? {} : { query: { wait: opts.wait } }),
          ...waitTimeout(opts.wait),
        });
        emit(ctx.json, c, () => showCommand(c));
      }),
    'plexus commands show cmd-5f2c9a0e4b1d7c3a --wait 30s',
  );
  examples(
    commands
      .command('cancel')
      .description('cancel a command that has not finished')
      .argument('<id>', 'command id')
      .action(async (id: string, _opts: unknown, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const c = await ctx.client.post<DeviceCommand>(path`/api/v1/commands/${id}/cancel`);
        if (ctx.json) emit(true, c, () => '');
        else printLine(`Cancelled command ${id}.`);
      }),
    'plexus commands cancel cmd-5f2c9a0e4b1d7c3a',
  );
}
