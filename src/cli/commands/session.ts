import type { Command } from 'commander';
import { PlexusClient } from '../client.js';
import { type Context, contextOf } from '../context.js';
import { forgetLogin, loadLogin, saveLogin } from '../credentials.js';
import { usageError } from '../errors.js';
import { emit, printJson, printLine } from '../output.js';
import { ask, isInteractive, obtainPassword } from '../prompt.js';
import { examples } from './shared.js';

interface LoginResponse {
  readonly token: string;
  readonly expiresAt?: number | string;
  readonly user?: { username: string; tenant: string; role: string; platformAdmin: boolean };
}

/** GET /api/v1/auth/me */
export interface Me {
  readonly kind: 'user' | 'apikey';
  readonly id: string;
  readonly tenant: string;
  readonly role: string;
  readonly platformAdmin: boolean;
  readonly actingTenant?: string;
}

interface LoginOptions {
  readonly username?: string;
  readonly password?: string;
  readonly passwordStdin?: boolean;
}

async function login(ctx: Context, opts: LoginOptions): Promise<void> {
  let username = opts.username;
  if (username === undefined) {
    if (!isInteractive() || opts.passwordStdin) throw usageError('no user name given: pass --username');
    username = (await ask('Username: ')).trim();
  }
  const password = await obtainPassword(opts);
  const res = await ctx.client.request<LoginResponse>('POST', '/api/v1/auth/login', {
    auth: false,
    body: { username, password },
  });
  const where = await saveLogin(ctx.url, {
    token: res.token,
    username,
    ...(res.expiresAt === undefined ? {} : { expiresAt: res.expiresAt }),
  });
  if (ctx.json) return printJson(res);
  const u = res.user;
  const who = u
    ? `${u.username} (${u.role} in tenant ${u.tenant}${u.platformAdmin ? ', platform admin' : ''})`
    : username;
  printLine(`Logged in to ${ctx.url} as ${who}.`);
  printLine(`Token saved in ${where}.`);
}

async function logout(ctx: Context): Promise<void> {
  // Only the saved session ends here, never an API key given with --api-key.
  const saved = await loadLogin(ctx.url);
  if (saved !== undefined) {
    const client = new PlexusClient({ url: ctx.url, token: saved.token, tenant: ctx.tenant });
    // The server may already have forgotten the session; the local token goes either way.
    await client.post('/api/v1/auth/logout').catch(() => undefined);
  }
  const had = await forgetLogin(ctx.url);
  if (!ctx.json) printLine(had ? `Logged out of ${ctx.url}.` : `Not logged in to ${ctx.url}: nothing to do.`);
}

export function describeMe(me: Me): string {
  const what = me.kind === 'apikey' ? `API key ${me.id}` : me.id;
  const admin = me.platformAdmin ? ', platform admin' : '';
  const acting =
    me.actingTenant && me.actingTenant !== me.tenant ? `\nActing in tenant ${me.actingTenant}.` : '';
  return `${what}: ${me.role} in tenant ${me.tenant}${admin}${acting}`;
}

export function registerSession(program: Command): void {
  examples(
    program
      .command('login')
      .description('log in with a user name and password; the token is saved for this --url')
      .option('-u, --username <name>', 'user name (asked for when missing on a terminal)')
      .option('-p, --password <password>', 'password (visible in shell history: prefer the prompt)')
      .option('--password-stdin', 'read the password from stdin')
      .action(async (opts: LoginOptions, cmd: Command) => login(await contextOf(cmd), opts)),
    'plexus login --username admin',
    'printf \'%s\' "$PW" | plexus login --username admin --password-stdin',
  );
  examples(
    program
      .command('logout')
      .description('end the session and forget the saved token for this --url')
      .action(async (_opts: unknown, cmd: Command) => logout(await contextOf(cmd))),
    'plexus logout',
  );
  examples(
    program
      .command('whoami')
      .description('show who the CLI is acting as (user or API key, tenant, role)')
      .action(async (_opts: unknown, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const me = await ctx.client.get<Me>('/api/v1/auth/me');
        emit(ctx.json, me, () => describeMe(me));
      }),
    'plexus whoami',
  );
}
