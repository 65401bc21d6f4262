import type { Command } from 'commander';
import { PlexusClient } from './client.js';
import { isExpired, loadLogin } from './credentials.js';
import { usageError } from './errors.js';

/** Options every management command accepts (declared once on the program). */
export interface GlobalOptions {
  readonly url: string;
  readonly apiKey?: string;
  readonly tenant?: string;
  readonly json?: boolean;
}

/** What a command's action needs: where the server is, how to talk to it, how to print. */
export interface Context {
  readonly url: string;
  readonly json: boolean;
  /** `--tenant` / PLEXUS_TENANT when given. */
  readonly tenant: string | undefined;
  readonly client: PlexusClient;
}

export function parseUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw usageError(`--url "${raw}" is not a URL (example: http://127.0.0.1:8080)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw usageError(`--url must start with http:// or https://, got "${raw}"`);
  }
  return raw.replace(/\/+$/, '');
}

/**
 * Builds the context from the global options. Auth precedence: `--api-key` /
 * PLEXUS_API_KEY, then the token `plexus login` saved for this URL.
 */
export async function contextOf(cmd: Command): Promise<Context> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const url = parseUrl(g.url);
  const common = { url, tenant: g.tenant, json: g.json === true };
  if (g.apiKey) {
    const hint = 'Hint: the API key given with --api-key or PLEXUS_API_KEY was refused.';
    return { ...common, client: new PlexusClient({ ...common, token: g.apiKey, unauthorizedHint: hint }) };
  }
  const login = await loadLogin(url);
  if (login !== undefined && isExpired(login)) {
    const missingAuth = [`Error: your login to ${url} has expired: run \`plexus login\` again`];
    return { ...common, client: new PlexusClient({ ...common, missingAuth }) };
  }
  const missingAuth = [
    `Error: not logged in to ${url}`,
    '  run `plexus login`, or set PLEXUS_API_KEY (or pass --api-key) for scripts',
  ];
  const unauthorizedHint = `Hint: your saved login for ${url} may have expired: run \`plexus login\``;
  return {
    ...common,
    client: new PlexusClient({ ...common, token: login?.token, missingAuth, unauthorizedHint }),
  };
}
