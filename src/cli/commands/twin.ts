import type { Command } from 'commander';
import { collectAssignment, wholeNumber } from '../args.js';
import { path } from '../client.js';
import { type Context, contextOf } from '../context.js';
import { usageError } from '../errors.js';
import { emit, formatRecord } from '../output.js';
import { examples } from './shared.js';

interface Twin {
  readonly desired: Record<string, unknown>;
  readonly reported: Record<string, unknown>;
  readonly delta: Record<string, unknown>;
  readonly version: number;
  readonly desiredVersion: number;
  readonly reportedVersion: number;
}

const json = (v: unknown) => (Object.keys(v as object).length === 0 ? '{}' : JSON.stringify(v, null, 2));

function showTwin(device: string, t: Twin): string {
  return formatRecord([
    ['Device', device],
    ['Version', `${t.version} (desired ${t.desiredVersion}, reported ${t.reportedVersion})`],
    ['Desired', json(t.desired)],
    ['Reported', json(t.reported)],
    [
      'Delta',
      `${json(t.delta)}${Object.keys(t.delta).length === 0 ? ' (the device has done everything desired)' : ''}`,
    ],
  ]);
}

interface SetOptions {
  readonly patch?: string;
  readonly ifMatch?: number;
}

async function set(ctx: Context, device: string, assignments: Record<string, unknown>, opts: SetOptions) {
  let desired = assignments;
  if (opts.patch !== undefined) {
    try {
      desired = { ...(JSON.parse(opts.patch) as Record<string, unknown>), ...assignments };
    } catch {
      throw usageError('--patch must be a JSON object, e.g. \'{"temp": {"target": 21}}\'');
    }
  }
  if (Object.keys(desired).length === 0) throw usageError('nothing to set: give key=value pairs or --patch');
  const t = await ctx.client.patch<Twin>(
    path`/api/v1/devices/${device}/twin`,
    { desired },
    opts.ifMatch === undefined ? {} : { headers: { 'if-match': `"${opts.ifMatch}"` } },
  );
  emit(ctx.json, t, () => `Desired state of ${device} changed.\n\n${showTwin(device, t)}`);
}

export function registerTwin(program: Command): void {
  const twin = program
    .command('twin')
    .description("read and change a device's twin (desired and reported state)");
  examples(
    twin
      .command('show')
      .description('show desired, reported, delta and versions')
      .argument('<device>', 'device id')
      .action(async (device: string, _opts: unknown, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const t = await ctx.client.get<Twin>(path`/api/v1/devices/${device}/twin`);
        emit(ctx.json, t, () => showTwin(device, t));
      }),
    'plexus twin show thermo-1',
  );
  examples(
    twin
      .command('set')
      .description('merge values into the desired state (key=null deletes a key)')
      .argument('<device>', 'device id')
      .argument('[key=value...]', 'dotted keys nest; values are JSON when they parse, else text')
      .option('--patch <json>', 'a JSON merge patch (combined with key=value pairs)')
      .option('--if-match <version>', 'only if the twin is still at this version (else 412)', wholeNumber)
      .action(async (device: string, pairs: string[], opts: SetOptions, cmd: Command) => {
        let assignments: Record<string, unknown> = {};
        for (const p of pairs) assignments = collectAssignment(p, assignments);
        await set(await contextOf(cmd), device, assignments, opts);
      }),
    'plexus twin set thermo-1 temp.target=21 mode=eco',
    'plexus twin set thermo-1 mode=null --if-match 7',
  );
}
