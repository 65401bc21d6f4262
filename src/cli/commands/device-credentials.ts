import type { Command } from 'commander';
import { path } from '../client.js';
import { DEFAULT_MQTT_PORT, mosquittoPubLine } from '../connect-hint.js';
import { type Context, contextOf } from '../context.js';
import { emit, formatAgo, formatTable, formatTime, printJson, printLine } from '../output.js';
import type { Me } from './session.js';
import { examples, type Page } from './shared.js';

/** POST /api/v1/devices/{id}/secrets */
interface NewSecret {
  readonly id: string;
  readonly kind: string;
  readonly secret: string;
  readonly revoked?: readonly string[];
}

interface Credential {
  readonly id: string;
  readonly kind: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

interface Info {
  readonly version?: string;
  readonly mqtt?: { readonly tcp?: number; readonly tls?: number; readonly ws?: string };
}

/**
 * Prints a fresh secret with the warning that it is shown once, and a
 * mosquitto_pub line to try it. The broker port comes from /api/v1/info and
 * the tenant from --tenant or /auth/me; neither failing hides the secret.
 */
export async function printSecret(ctx: Context, deviceId: string, secret: string): Promise<void> {
  const [info, me] = await Promise.all([
    ctx.client.get<Info>('/api/v1/info').catch(() => undefined),
    ctx.tenant ? undefined : ctx.client.get<Me>('/api/v1/auth/me').catch(() => undefined),
  ]);
  const tenant = ctx.tenant ?? me?.actingTenant ?? me?.tenant ?? 'default';
  const port = info?.mqtt?.tcp;
  printLine(`Secret: ${secret}`);
  printLine('Warning: store this secret now: it will not be shown again');
  printLine(`  (a lost secret is replaced with: plexus devices rotate-secret ${deviceId}).`);
  printLine();
  printLine('Try it (publishes one telemetry message as the device):');
  printLine(
    `  ${mosquittoPubLine({ url: ctx.url, port: port ?? DEFAULT_MQTT_PORT, deviceId, tenant, secret })}`,
  );
  if (port === undefined) {
    printLine(
      `  (the server did not report its MQTT port; ${DEFAULT_MQTT_PORT} is the broker's default port)`,
    );
  }
}

export function registerDeviceCredentials(devices: Command): void {
  examples(
    devices
      .command('rotate-secret')
      .description('issue a new secret for a device (shown once); old ones keep working unless revoked')
      .argument('<id>', 'device id')
      .option('--revoke-others', 'revoke every other credential of the device at once')
      .action(async (id: string, opts: { revokeOthers?: boolean }, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const body = opts.revokeOthers ? { revokeOthers: true } : {};
        const res = await ctx.client.post<NewSecret>(path`/api/v1/devices/${id}/secrets`, body);
        if (ctx.json) return printJson(res);
        printLine(`New credential ${res.id} for device ${id}.`);
        if (res.revoked?.length) printLine(`Revoked: ${res.revoked.join(', ')}`);
        printLine();
        await printSecret(ctx, id, res.secret);
      }),
    'plexus devices rotate-secret press-7',
    'plexus devices rotate-secret press-7 --revoke-others',
  );
  examples(
    devices
      .command('credentials')
      .description("list a device's credentials (never the secrets themselves)")
      .argument('<id>', 'device id')
      .action(async (id: string, _opts: unknown, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const res = await ctx.client.get<Page<Credential>>(path`/api/v1/devices/${id}/credentials`);
        emit(ctx.json, res, () =>
          formatTable(
            ['ID', 'KIND', 'CREATED', 'LAST USED'],
            res.items.map((c) => [c.id, c.kind, formatTime(c.createdAt), formatAgo(c.lastUsedAt)]),
          ),
        );
      }),
    'plexus devices credentials press-7',
  );
  examples(
    devices
      .command('revoke-credential')
      .description('revoke one credential of a device; connections using it are refused from then on')
      .argument('<id>', 'device id')
      .argument('<credId>', 'credential id (see: plexus devices credentials <id>)')
      .action(async (id: string, credId: string, _opts: unknown, cmd: Command) => {
        const ctx = await contextOf(cmd);
        await ctx.client.delete(path`/api/v1/devices/${id}/credentials/${credId}`);
        if (!ctx.json) printLine(`Revoked credential ${credId} of device ${id}`);
      }),
    'plexus devices revoke-credential press-7 cred-1a2b',
  );
}
