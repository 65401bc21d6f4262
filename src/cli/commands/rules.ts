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
