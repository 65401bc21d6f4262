import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './errors.js';

/**
 * Session tokens saved by `plexus login`, one per server URL, in
 * `$PLEXUS_CONFIG_DIR/credentials.json` (default `~/.config/plexus`). The file
 * is 0600 and its folder 0700: a token is as good as the password.
 */

export interface StoredLogin {
  readonly token: string;
  readonly username: string;
  /** As the server sent it: epoch ms or ISO 8601. */
  readonly expiresAt?: number | string;
}

interface CredentialsFile {
  readonly version: 1;
  readonly logins: Record<string, StoredLogin>;
}

type Env = Readonly<Record<string, string | undefined>>;

export function configDir(env: Env = process.env): string {
  if (env.PLEXUS_CONFIG_DIR) return env.PLEXUS_CONFIG_DIR;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'plexus');
}

export function credentialsPath(env: Env = process.env): string {
  return join(configDir(env), 'credentials.json');
}

/** `http://Host:8080/` and `http://host:8080` name the same server. */
export function urlKey(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}

/** True when the login carries an expiry that has passed. */
export function isExpired(login: StoredLogin, now: number = Date.now()): boolean {
  if (login.expiresAt === undefined) return false;
  const t = typeof login.expiresAt === 'number' ? login.expiresAt : Date.parse(login.expiresAt);
  return !Number.isNaN(t) && t <= now;
}

async function readFileOrEmpty(path: string): Promise<CredentialsFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, logins: {} };
    throw err;
  }
  let parsed: Partial<CredentialsFile>;
  try {
    parsed = JSON.parse(text) as Partial<CredentialsFile>;
  } catch {
    throw new CliError([`Error: ${path} is not valid JSON: delete it and run \`plexus login\` again`]);
  }
  return { version: 1, logins: { ...parsed.logins } };
}

async function writeAtomically(path: string, dir: string, data: CredentialsFile): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  // writeFile's mode only applies on creation; make sure a reused temp name is private too.
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

export async function loadLogin(url: string, env: Env = process.env): Promise<StoredLogin | undefined> {
  const file = await readFileOrEmpty(credentialsPath(env));
  return file.logins[urlKey(url)];
}

export async function saveLogin(url: string, login: StoredLogin, env: Env = process.env): Promise<string> {
  const path = credentialsPath(env);
  const file = await readFileOrEmpty(path);
  await writeAtomically(path, configDir(env), {
    version: 1,
    logins: { ...file.logins, [urlKey(url)]: login },
  });
  return path;
}

/** Removes the login for `url`; false when there was none. */
export async function forgetLogin(url: string, env: Env = process.env): Promise<boolean> {
  const path = credentialsPath(env);
  const file = await readFileOrEmpty(path);
  const key = urlKey(url);
  if (!(key in file.logins)) return false;
  const { [key]: _gone, ...rest } = file.logins;
  await writeAtomically(path, configDir(env), { version: 1, logins: rest });
  return true;
}
