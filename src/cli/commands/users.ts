import { Argument, type Command, Option } from 'commander';
import { path } from '../client.js';
import { type Context, contextOf } from '../context.js';
import { emit, formatAgo, formatRecord, formatTable, formatTime } from '../output.js';
import { obtainPassword, type PasswordSource } from '../prompt.js';
import { defined, deleteResource, examples } from './shared.js';

export const ROLES = ['admin', 'operator', 'viewer'] as const;

interface User {
  readonly username: string;
  readonly tenant: string;
  readonly role: string;
  readonly platformAdmin: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastLoginAt: string | null;
}

interface CreateOptions extends PasswordSource {
  readonly role: string;
  readonly tenantOfUser?: string;
}

function showUser(u: User): string {
  return formatRecord([
    ['Username', u.username],
    ['Tenant', u.tenant],
    ['Role', `${u.role}${u.platformAdmin ? ' (platform admin)' : ''}`],
    ['Last login', formatAgo(u.lastLoginAt)],
    ['Created', formatTime(u.createdAt)],
    ['Updated', formatTime(u.updatedAt)],
  ]);
}

async function create(ctx: Context, username: string, opts: CreateOptions): Promise<void> {
  const password = await obtainPassword(opts, true);
  const body = { username, password, role: opts.role, ...defined({ tenant: opts.tenantOfUser }) };
  const res = await ctx.client.post<User>('/api/v1/users', body);
  emit(ctx.json, res, () => `Created user ${res.username} (${res.role} in tenant ${res.tenant}).`);
}

function passwordOptions(cmd: Command): Command {
  return cmd
    .option('-p, --password <password>', 'the password (visible in shell history: prefer the prompt)')
    .option('--password-stdin', 'read the password from stdin');
}

export function registerUsers(program: Command): void {
  const users = program.command('users').description('manage operator accounts and their roles');
  examples(
    passwordOptions(
      users
        .command('create')
        .description('create a user; the password is asked for unless given')
        .argument('<username>', 'user name (unique on the platform)')
        .addOption(new Option('--role <role>', 'what the user may do').choices(ROLES).makeOptionMandatory()),
    )
      .option('--tenant-of-user <tenant>', "the user's tenant (platform admins; default: the acting tenant)")
      .action(async (username: string, opts: CreateOptions, cmd: Command) =>
        create(await contextOf(cmd), username, opts),
      ),
    'plexus users create alice --role operator',
    'printf \'%s\' "$PW" | plexus users create bot --role viewer --password-stdin',
  );
  examples(
    users
      .command('list')
      .description('list users')
      .action(async (_opts: unknown, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const items = await ctx.client.all<User>('/api/v1/users', { limit: 1000 });
        emit(
          ctx.json,
          { items },
          () =>
            formatTable(
              ['USERNAME', 'TENANT', 'ROLE', 'LAST LOGIN'],
              items.map((u) => [
                u.username,
                u.tenant,
                u.platformAdmin ? `${u.role}*` : u.role,
                formatAgo(u.lastLoginAt),
              ]),
            ) + (items.some((u) => u.platformAdmin) ? '\n(* platform admin)' : ''),
        );
      }),
    'plexus users list',
  );
  examples(
    users
      .command('show')
      .description('show one user')
      .argument('<username>', 'user name')
      .action(async (username: string, _opts: unknown, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const u = await ctx.client.get<User>(path`/api/v1/users/${username}`);
        emit(ctx.json, u, () => showUser(u));
      }),
    'plexus users show alice',
  );
  examples(
    passwordOptions(
      users
        .command('set-password')
        .description("change a user's password")
        .argument('<username>', 'user name'),
    ).action(async (username: string, opts: PasswordSource, cmd: Command) => {
      const ctx = await contextOf(cmd);
      const password = await obtainPassword(opts, true);
      const res = await ctx.client.patch<User>(path`/api/v1/users/${username}`, { password });
      emit(ctx.json, res, () => `Password of ${username} changed.`);
    }),
    'plexus users set-password alice',
  );
  examples(
    users
      .command('set-role')
      .description("change a user's role")
      .argument('<username>', 'user name')
      .addArgument(new Argument('<role>', 'the new role').choices(ROLES))
      .action(async (username: string, role: string, _opts: unknown, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const res = await ctx.client.patch<User>(path`/api/v1/users/${username}`, { role });
        emit(ctx.json, res, () => `${username} is now ${res.role}.`);
      }),
    'plexus users set-role alice viewer',
  );
  examples(
    users
      .command('delete')
      .description('delete a user (their sessions end)')
      .argument('<username>', 'user name')
      .option('-y, --yes', 'do not ask for confirmation')
      .action(async (username: string, opts: { yes?: boolean }, cmd: Command) =>
        deleteResource(await contextOf(cmd), 'user', username, path`/api/v1/users/${username}`, opts.yes),
      ),
    'plexus users delete alice --yes',
  );
}
