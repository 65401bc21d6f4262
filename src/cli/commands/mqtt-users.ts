import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { path } from '../client.js';
import { DEFAULT_MQTT_PORT } from '../connect-hint.js';
import { type Context, contextOf } from '../context.js';
import { usageError } from '../errors.js';
import { type HintRule, mqttUserLine } from '../mqtt-user-hint.js';
import { emit, formatAgo, formatRecord, formatTable, formatTime, printJson, printLine } from '../output.js';
import { defined, deleteResource, examples, requireChanges } from './shared.js';

interface MqttUser {
  readonly tenant: string;
  readonly username: string;
  readonly rules: readonly HintRule[];
  readonly sys: string;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastLoginAt: string | null;
}

/** A rule flag or a rules file, numbered in the order given on the command line. */
type RuleSource = { readonly seq: number } & ({ readonly rule: HintRule } | { readonly file: string });

interface RuleOptions {
  readonly rules?: RuleSource[];
  readonly allow?: RuleSource[];
  readonly deny?: RuleSource[];
  readonly sys?: string;
}

const ACTIONS = ['publish', 'subscribe', 'both'];

/** `both:plant/%u/#` → a rule; anything else is a usage error (exit 2). */
export function parseRuleFlag(permission: 'allow' | 'deny', text: string): HintRule {
  const colon = text.indexOf(':');
  const action = colon < 0 ? '' : text.slice(0, colon);
  const topic = text.slice(colon + 1);
  if (!ACTIONS.includes(action) || topic === '') {
    throw new InvalidArgumentError(
      `expected <action>:<topic> with action publish, subscribe or both (e.g. both:plant/%u/#), got "${text}".`,
    );
  }
  return { permission, action, topic };
}

/** The rules of a YAML or JSON file: a list of {permission, action, topic}, or {rules: [...]}. */
async function readRulesFile(file: string): Promise<unknown[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw usageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw usageError(`${file} is not valid JSON or YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const list = (doc as { rules?: unknown } | null)?.rules ?? doc;
  if (!Array.isArray(list)) {
    throw usageError(`${file} must hold a list of rules {permission, action, topic}, or {rules: [...]}`);
  }
  return list;
}

/** The rule list in command-line order, files expanded in place; undefined when no rule option was given. */
async function rulesOf(opts: RuleOptions): Promise<unknown[] | undefined> {
  const sources = [...(opts.rules ?? []), ...(opts.allow ?? []), ...(opts.deny ?? [])].sort(
    (a, b) => a.seq - b.seq,
  );
  if (sources.length === 0) return undefined;
  const out: unknown[] = [];
  for (const s of sources) out.push(...('rule' in s ? [s.rule] : await readRulesFile(s.file)));
  return out;
}

function showRules(rules: readonly HintRule[]): string {
  if (rules.length === 0) return 'No rules: the user may do nothing (no match denies).';
  return formatTable(
    ['#', 'PERMISSION', 'ACTION', 'TOPIC'],
    rules.map((r, i) => [String(i + 1), r.permission, r.action, r.topic]),
  );
}

function showUser(u: MqttUser): string {
  const record = formatRecord([
    ['User name', u.username],
    ['Tenant', u.tenant],
    ['$SYS', u.sys === 'platform' ? 'platform (whole platform)' : 'tenant'],
    ['Created by', u.createdBy],
    ['Created', formatTime(u.createdAt)],
    ['Updated', formatTime(u.updatedAt)],
    ['Last login', formatAgo(u.lastLoginAt)],
  ]);
  return `${record}\n\nRules (first match wins):\n${showRules(u.rules)}`;
}

/** Prints a fresh secret once, with a mosquitto line to try it (port from /api/v1/info). */
async function printUserSecret(ctx: Context, u: MqttUser & { secret: string }): Promise<void> {
  const info = await ctx.client.get<{ mqtt?: { tcp?: number } }>('/api/v1/info').catch(() => undefined);
  printLine(`Secret: ${u.secret}`);
  printLine('Warning: store this secret now: it will not be shown again');
  printLine(`  (a lost secret is replaced with: plexus mqtt-users rotate-secret ${u.username}).`);
  printLine();
  const port = info?.mqtt?.tcp ?? DEFAULT_MQTT_PORT;
  const line = mqttUserLine({
    url: ctx.url,
    port,
    username: u.username,
    tenant: u.tenant,
    secret: u.secret,
    rules: u.rules,
  });
  if (line === undefined) {
    printLine(
      `No rule allows anything yet: add one with plexus mqtt-users update ${u.username} --allow 'both:...'`,
    );
    return;
  }
  printLine('Try it:');
  printLine(`  ${line}`);
}

export function registerMqttUsers(program: Command): void {
  const users = program
    .command('mqtt-users')
    .description('manage MQTT users: plain MQTT clients (Node-RED, Grafana, a PLC) with topic rules');
  // Rule options are numbered as commander meets them, so --allow/--deny/--rules keep the order given.
  let seq = 0;
  const ruleOptions = (cmd: Command, replaces: boolean): Command =>
    cmd
      .option(
        '--rules <file>',
        `YAML or JSON file with a list of {permission, action, topic}${replaces ? ' (replaces the rules)' : ''}`,
        (file: string, prev: RuleSource[] = []) => [...prev, { seq: seq++, file }],
      )
      .option(
        '--allow <action:topic>',
        'allow rule, repeatable; action publish, subscribe or both; %u = user name, %c = client id',
        (v: string, prev: RuleSource[] = []) => [...prev, { seq: seq++, rule: parseRuleFlag('allow', v) }],
      )
      .option(
        '--deny <action:topic>',
        'deny rule, repeatable (rules apply in the order given; first match wins)',
        (v: string, prev: RuleSource[] = []) => [...prev, { seq: seq++, rule: parseRuleFlag('deny', v) }],
      )
      .addOption(
        new Option(
          '--sys <scope>',
          "what $SYS/# shows: the tenant's figures or the whole platform's (platform admins)",
        ).choices(['tenant', 'platform']),
      );

  examples(
    ruleOptions(
      users
        .command('create')
        .description('create an MQTT user and print its secret (shown once)')
        .argument('<username>', 'user name: letters, digits, . _ - (not a device id of the tenant)'),
      false,
    ).action(async (username: string, opts: RuleOptions, cmd: Command) => {
      const ctx = await contextOf(cmd);
      const body = defined({ username, rules: await rulesOf(opts), sys: opts.sys });
      const res = await ctx.client.post<MqttUser & { secret: string }>('/api/v1/mqtt-users', body);
      if (ctx.json) return printJson(res);
      printLine(
        `Created MQTT user ${res.username} in tenant ${res.tenant} with ${res.rules.length} rule(s).`,
      );
      printLine();
      await printUserSecret(ctx, res);
    }),
    "plexus mqtt-users create node-red --allow 'both:plant/%u/#' --deny 'subscribe:plant/secret/#'",
    'plexus mqtt-users create grafana --rules grafana-rules.yaml',
  );
  examples(
    users
      .command('list')
      .description('list MQTT users (never their secrets)')
      .action(async (_opts: unknown, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const items = await ctx.client.all<MqttUser>('/api/v1/mqtt-users', { limit: 1000 });
        emit(ctx.json, { items }, () =>
          items.length === 0
            ? 'No MQTT users.'
            : formatTable(
                ['USER NAME', 'RULES', 'FIRST RULE', '$SYS', 'CREATED BY', 'LAST LOGIN'],
                items.map((u) => [
                  u.username,
                  String(u.rules.length),
                  u.rules[0] ? `${u.rules[0].permission} ${u.rules[0].action} ${u.rules[0].topic}` : '',
                  u.sys,
                  u.createdBy,
                  formatAgo(u.lastLoginAt),
                ]),
              ),
        );
      }),
    'plexus mqtt-users list',
  );
  examples(
    users
      .command('show')
      .description('show an MQTT user and its rules')
      .argument('<username>', 'user name')
      .action(async (username: string, _opts: unknown, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const res = await ctx.client.get<MqttUser>(path`/api/v1/mqtt-users/${username}`);
        emit(ctx.json, res, () => showUser(res));
      }),
    'plexus mqtt-users show node-red',
  );
  examples(
    ruleOptions(
      users
        .command('update')
        .description("replace an MQTT user's rules and/or $SYS scope; live sessions follow at once")
        .argument('<username>', 'user name'),
      true,
    ).action(async (username: string, opts: RuleOptions, cmd: Command) => {
      const ctx = await contextOf(cmd);
      const body = defined({ rules: await rulesOf(opts), sys: opts.sys });
      requireChanges(body, '--rules, --allow, --deny, --sys');
      const res = await ctx.client.patch<MqttUser>(path`/api/v1/mqtt-users/${username}`, body);
      emit(ctx.json, res, () => `Updated MQTT user ${username}.\n\n${showUser(res)}`);
    }),
    "plexus mqtt-users update node-red --allow 'subscribe:devices/+/telemetry' --allow 'both:plant/%u/#'",
    'plexus mqtt-users update grafana --rules grafana-rules.yaml',
  );
  examples(
    users
      .command('delete')
      .description('delete an MQTT user; its sessions end')
      .argument('<username>', 'user name')
      .option('-y, --yes', 'do not ask for confirmation')
      .action(async (username: string, opts: { yes?: boolean }, cmd: Command) =>
        deleteResource(
          await contextOf(cmd),
          'MQTT user',
          username,
          path`/api/v1/mqtt-users/${username}`,
          opts.yes,
        ),
      ),
    'plexus mqtt-users delete node-red --yes',
  );
  examples(
    users
      .command('rotate-secret')
      .description('replace the secret (shown once); the old one stops working and its sessions end')
      .argument('<username>', 'user name')
      .action(async (username: string, _opts: unknown, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const res = await ctx.client.post<MqttUser & { secret: string }>(
          path`/api/v1/mqtt-users/${username}/secret`,
        );
        if (ctx.json) return printJson(res);
        printLine(`New secret for MQTT user ${username}; the old one no longer works.`);
        printLine();
        await printUserSecret(ctx, res);
      }),
    'plexus mqtt-users rotate-secret node-red',
  );
}
