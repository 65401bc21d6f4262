import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseAllDocuments, stringify as toYaml } from 'yaml';
import { path } from '../client.js';
import { type Context, contextOf } from '../context.js';
import { ApiError, CliError, usageError } from '../errors.js';
import { emit, formatLabels, formatTable } from '../output.js';
import { deleteResource, examples } from './shared.js';

interface Spec {
  readonly name: string;
  readonly target: {
    readonly devices?: readonly string[];
    readonly groups?: readonly string[];
    readonly profile?: string;
    readonly labels?: Readonly<Record<string, string>>;
  };
  readonly throttleMs?: number;
  readonly [field: string]: unknown;
}

interface Rule {
  readonly name: string;
  readonly version: number;
  readonly enabled: boolean;
  readonly spec: Spec;
}

interface ApplyResult {
  readonly name: string;
  readonly version: number;
  readonly change: 'created' | 'updated' | 'unchanged';
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The rule documents of a file: one rule, a list of rules, `{rules: [...]}`,
 * or several YAML documents separated by `---` (one rule each). YAML is a
 * superset of JSON, so one parser reads both.
 */
export async function readRuleFile(file: string): Promise<unknown[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw usageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  const broken = list.find((d) => d.errors.length > 0);
  if (broken) {
    const why = (broken.errors[0] as Error).message.split('\n')[0];
    throw usageError(`${file} is not valid JSON or YAML: ${why}`);
  }
  const values = list.map((d) => d.toJS() as unknown).filter((v) => v !== null && v !== undefined);
  if (values.length > 1) return values;
  const [only] = values;
  if (Array.isArray(only)) return only;
  if (isObject(only) && Array.isArray(only.rules) && only.condition === undefined) return only.rules;
  if (isObject(only)) return [only];
  throw usageError(`${file} must hold a rule, a list of rules or {rules: [...]}`);
}

/** `device x`, `profile=press, groups=a,b, site=lyon`: what a rule watches, in one cell. */
function targetSummary(t: Spec['target']): string {
  const parts: string[] = [];
  if (t.profile !== undefined) parts.push(`profile=${t.profile}`);
  if (t.groups) parts.push(`groups=${t.groups.join(',')}`);
  if (t.devices)
    parts.push(t.devices.length <= 3 ? `devices=${t.devices.join(',')}` : `${t.devices.length} devices`);
  if (t.labels) parts.push(formatLabels(t.labels));
  return parts.join(', ');
}

/** The spec as a document `rules apply` takes back (the server keeps `throttle` as milliseconds). */
function toDocument(spec: Spec): Record<string, unknown> {
  const { throttleMs, ...rest } = spec;
  if (throttleMs === undefined) return rest;
  return { ...rest, throttle: throttleMs % 1000 === 0 ? `${throttleMs / 1000}s` : `${throttleMs}ms` };
}

/** RULE_INVALID as `rule 2 (overheat): /condition/op: ...` lines, pointing into the file. */
function problemsOf(err: ApiError, docs: readonly unknown[], file: string): CliError {
  const lines = (err.problem?.errors ?? []).map(({ path: p, message }) => {
    const m = /^\/body\/rules\/(\d+)(.*)$/.exec(p);
    if (!m) return `  ${p}: ${message}`;
    const doc = docs[Number(m[1])];
    const name = isObject(doc) && typeof doc.name === 'string' ? ` (${doc.name})` : '';
    const where = docs.length > 1 ? `rule ${Number(m[1]) + 1}${name}: ` : '';
    return `  ${where}${m[2] || '/'}: ${message}`;
  });
  return new CliError([`Error: ${file} has problems; nothing was applied (RULE_INVALID)`, ...lines]);
}

async function apply(ctx: Context, file: string): Promise<void> {
  const docs = await readRuleFile(file);
  if (docs.length === 0) throw usageError(`${file} holds no rules`);
  let res: { results: ApplyResult[] };
  try {
    res = await ctx.client.post<{ results: ApplyResult[] }>('/api/v1/rules/apply', { rules: docs });
  } catch (err) {
    if (err instanceof ApiError && err.problem?.code === 'RULE_INVALID') throw problemsOf(err, docs, file);
    throw err;
  }
  emit(ctx.json, res, () =>
    res.results.map((r) => `${r.change.padEnd(9)} ${r.name} (version ${r.version})`).join('\n'),
  );
}

async function setEnabled(ctx: Context, name: string, verb: 'enable' | 'disable'): Promise<void> {
  const before = await ctx.client.get<Rule>(path`/api/v1/rules/${name}`);
  const r = await ctx.client.post<Rule>(path`/api/v1/rules/${name}/${verb}`);
  const state = r.enabled ? 'enabled' : 'disabled';
  emit(ctx.json, r, () =>
    r.version === before.version
      ? `Rule ${r.name} was already ${state} (version ${r.version}).`
      : `Rule ${r.name} ${state} (version ${r.version}).`,
  );
}

interface DryRunAnswer {
  readonly rule: string;
  readonly from: number;
  readonly to: number;
  readonly devices: number;
  readonly points: number;
  readonly events: number;
  readonly firings: {
    device: string;
    at: number;
    until: number | null;
    key?: string;
    value?: unknown;
    acts: boolean;
  }[];
  readonly total: number;
  readonly truncated: boolean;
  readonly notes: string[];
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

function lasted(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** A saved rule by name, or the one rule of a file (not saved): when would it have fired? */
async function dryRun(
  ctx: Context,
  what: string,
  opts: { from?: string; to?: string; device?: string[] },
): Promise<void> {
  const range = {
    ...(opts.from === undefined ? {} : { from: opts.from }),
    ...(opts.to === undefined ? {} : { to: opts.to }),
    ...(opts.device === undefined ? {} : { devices: opts.device }),
  };
  let res: DryRunAnswer;
  if (/\.(ya?ml|json)$/i.test(what)) {
    const docs = await readRuleFile(what);
    if (docs.length !== 1) throw usageError(`${what} holds ${docs.length} rules: a dry run replays one`);
    try {
      res = await ctx.client.post<DryRunAnswer>('/api/v1/rules/dry-run', { rule: docs[0], ...range });
    } catch (err) {
      if (err instanceof ApiError && err.problem?.code === 'RULE_INVALID') {
        const lines = (err.problem.errors ?? []).map(
          (e) => `  ${e.path.replace(/^\/body\/rule/, '') || '/'}: ${e.message}`,
        );
        throw new CliError([
          `Error: ${err.problem.detail ?? 'the dry run was refused'} (RULE_INVALID)`,
          ...lines,
        ]);
      }
      throw err;
    }
  } else {
    res = await ctx.client.post<DryRunAnswer>(path`/api/v1/rules/${what}/dry-run`, range);
  }
  emit(ctx.json, res, () => {
    const head = `Rule ${res.rule} over ${iso(res.from)} .. ${iso(res.to)}: ${res.devices} device${res.devices === 1 ? '' : 's'}, ${res.points} points, ${res.events} events replayed.`;
    const lines = [head];
    if (res.total === 0) lines.push('It would not have fired.');
    else {
      const acting = res.firings.filter((f) => f.acts).length;
      lines.push(
        `It would have fired ${res.total} time${res.total === 1 ? '' : 's'}${res.firings.length < res.total ? ` (first ${res.firings.length} shown)` : ''}; actions would have run for ${acting} of those shown (throttle).`,
        '',
        formatTable(
          ['FIRED', 'DEVICE', 'VALUE', 'FOR', 'ACTIONS'],
          res.firings.map((f) => [
            iso(f.at),
            f.device,
            f.key === undefined ? '' : `${f.key} = ${JSON.stringify(f.value)}`,
            f.until === null ? 'still holding' : lasted(f.until - f.at),
            f.acts ? 'yes' : 'throttled',
          ]),
        ),
      );
    }
    if (res.truncated)
      lines.push('', 'Stopped early (too many devices or points): replay a shorter range or fewer devices.');
    for (const n of res.notes) lines.push(`Note: ${n}.`);
    return lines.join('\n');
  });
}

export function registerRules(program: Command): void {
  const rules = program.command('rules').description('manage rules (alarms and actions on device data)');
  examples(
    rules
      .command('apply')
      .description('create or update the rules of a YAML/JSON file, all or nothing (keep it in git)')
      .argument('<file>', 'one rule, a list of rules, or {rules: [...]}; YAML or JSON')
      .action(async (file: string, _opts: unknown, cmd: Command) => apply(await contextOf(cmd), file)),
    'plexus rules apply rules.yaml',
  );
  examples(
    rules
      .command('list')
      .description('list rules')
      .action(async (_opts: unknown, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const items = await ctx.client.all<Rule>('/api/v1/rules', { limit: 1000 });
        emit(ctx.json, { items }, () =>
          formatTable(
            ['NAME', 'VERSION', 'ENABLED', 'TARGET'],
            items.map((r) => [
              r.name,
              String(r.version),
              r.enabled ? 'yes' : 'no',
              targetSummary(r.spec.target),
            ]),
          ),
        );
      }),
    'plexus rules list',
  );
  examples(
    rules
      .command('show')
      .description('show a rule as YAML, ready to edit and apply (--json: the stored rule)')
      .argument('<name>', 'rule name')
      .action(async (name: string, _opts: unknown, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const r = await ctx.client.get<Rule>(path`/api/v1/rules/${name}`);
        emit(ctx.json, r, () => toYaml(toDocument(r.spec)).trimEnd());
      }),
    'plexus rules show overheat > overheat.yaml',
  );
  examples(
    rules
      .command('dry-run')
      .description(
        'replay a rule against stored history: when would it have fired? (nothing is saved or sent)',
      )
      .argument('<rule>', 'a saved rule name, or a YAML/JSON file with one rule')
      .option('--from <time>', 'start: ISO 8601 or epoch ms (default: 24 h before --to)')
      .option('--to <time>', 'end: ISO 8601 or epoch ms (default: now)')
      .option('--device <id...>', 'only these of the targeted devices')
      .action(async (what: string, opts: { from?: string; to?: string; device?: string[] }, cmd: Command) =>
        dryRun(await contextOf(cmd), what, opts),
      ),
    'plexus rules dry-run overheat.yaml --from 2026-11-01T00:00:00Z',
    'plexus rules dry-run overheat --device press-7',
  );
  for (const verb of ['enable', 'disable'] as const) {
    examples(
      rules
        .command(verb)
        .description(`${verb} a rule (a new version)`)
        .argument('<name>', 'rule name')
        .action(async (name: string, _opts: unknown, cmd: Command) =>
          setEnabled(await contextOf(cmd), name, verb),
        ),
      `plexus rules ${verb} overheat`,
    );
  }
  examples(
    rules
      .command('delete')
      .description('delete a rule and all its versions')
      .argument('<name>', 'rule name')
      .option('-y, --yes', 'do not ask for confirmation')
      .action(async (name: string, opts: { yes?: boolean }, cmd: Command) =>
        deleteResource(await contextOf(cmd), 'rule', name, path`/api/v1/rules/${name}`, opts.yes),
      ),
    'plexus rules delete overheat --yes',
  );
}
