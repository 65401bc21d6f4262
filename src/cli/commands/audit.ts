import type { Command } from 'commander';
import { positiveInt } from '../args.js';
import { contextOf } from '../context.js';
import { emit, formatTable, formatTime } from '../output.js';
import { examples, moreHint, type Page } from './shared.js';

interface AuditRecord {
  readonly seq: number;
  readonly ts: string;
  readonly actor: string;
  readonly action: string;
  readonly resource: string;
  readonly resourceId: string | null;
  readonly status: number;
  readonly ip: string | null;
}

interface AuditOptions {
  readonly action?: string;
  readonly actor?: string;
  readonly resource?: string;
  readonly resourceId?: string;
  readonly from?: string;
  readonly to?: string;
  readonly limit?: number;
}

export function auditRows(items: readonly AuditRecord[]): string[][] {
  return items.map((r) => [
    formatTime(r.ts),
    r.actor,
    r.action,
    r.resourceId === null ? r.resource : `${r.resource}/${r.resourceId}`,
    String(r.status),
    r.ip ?? '',
  ]);
}

export function registerAudit(program: Command): void {
  examples(
    program
      .command('audit')
      .description('show the audit trail: who changed what, newest first (failed attempts too)')
      .option('--action <action>', 'e.g. device.create, auth.login')
      .option('--actor <actor>', 'e.g. user:alice, apikey:key-1a2b')
      .option('--resource <kind>', 'e.g. device, user')
      .option('--resource-id <id>', 'one object, e.g. a device id')
      .option('--from <time>', 'not before (ISO 8601 or epoch ms)')
      .option('--to <time>', 'not after (ISO 8601 or epoch ms)')
      .option('--limit <n>', 'how many entries (default 100, max 1000)', positiveInt)
      .action(async (opts: AuditOptions, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const page = await ctx.client.get<Page<AuditRecord>>('/api/v1/audit', { ...opts });
        emit(ctx.json, page, () =>
          page.items.length === 0
            ? 'No audit entries match.'
            : formatTable(['TIME', 'ACTOR', 'ACTION', 'RESOURCE', 'STATUS', 'IP'], auditRows(page.items)) +
              moreHint(page.next, 'raise --limit or narrow with --from/--to'),
        );
      }),
    'plexus audit --resource device --limit 20',
    'plexus audit --actor user:alice --action device.delete',
  );
}
