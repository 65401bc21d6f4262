import type { Bus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import { type FieldError, PlexusError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { privateHostProblem } from '../core/private-network.js';
import type { Page } from '../store/page.js';
import type { RuleChange, RuleQuery, RuleStore, StoredRule } from '../store/rules.js';
import { RuleErrors } from './errors.js';
import { parseRule, type RuleSpec } from './spec.js';

export interface RuleDeps {
  readonly store: RuleStore;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly log: Logger;
  /** Whether this server can send e-mail (actions.email.host); rules with e-mail actions are refused otherwise. */
  readonly emailConfigured?: boolean;
  /** actions.webhook.denyPrivateNetworks: webhooks to literal private addresses and localhost are refused when saved. */
  readonly denyPrivateNetworks?: boolean;
}

/** What this server can do, which decides whether some valid rules can be saved. */
interface Capabilities {
  readonly emailConfigured: boolean;
  readonly denyPrivateNetworks: boolean;
}

/** A rule as the API answers it. */
export interface Rule {
  readonly name: string;
  readonly version: number;
  readonly enabled: boolean;
  readonly spec: RuleSpec;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

/** What the engine needs of a rule: which version of which spec, in which tenant. */
export interface LoadedRule {
  readonly tenant: string;
  readonly name: string;
  readonly version: number;
  readonly spec: RuleSpec;
}

export interface RuleVersion {
  readonly version: number;
  readonly spec: RuleSpec;
  readonly createdAt: string;
  readonly createdBy: string;
}

export interface RuleSaveResult {
  readonly rule: Rule;
  readonly change: RuleChange;
}

export interface ApplyResult {
  readonly name: string;
  readonly version: number;
  readonly change: RuleChange;
}

export type RuleService = ReturnType<typeof createRuleService>;

/** Field errors point into the request body, as the API's own validation errors do. */
const BODY = '/body';
const MAX_APPLY = 1000;
const OWNER = 'rule-management';

const toRule = (r: StoredRule): Rule => ({
  name: r.name,
  version: r.version,
  enabled: r.enabled,
  spec: r.spec,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
  updatedBy: r.updatedBy,
});

const loaded = (r: StoredRule): LoadedRule => ({
  tenant: r.tenant,
  name: r.name,
  version: r.version,
  spec: r.spec,
});

function invalid(errors: readonly FieldError[], what: string): PlexusError {
  const shown = errors.slice(0, 5).map((e) => `${e.path.slice(BODY.length) || '/'}: ${e.message}`);
  const more = errors.length > shown.length ? `; and ${errors.length - shown.length} more` : '';
  return new PlexusError(RuleErrors.INVALID, `${what} is not valid: ${shown.join('; ')}${more}`, { errors });
}

/** Checks one document; its problems' paths start with `prefix`. */
function check(raw: unknown, prefix: string, can: Capabilities): { spec?: RuleSpec; errors: FieldError[] } {
  const { rule, problems } = parseRule(raw);
  const errors = problems.map((p) => ({ path: `${prefix}${p.path}`, message: p.message }));
  rule?.actions.forEach((a, i) => {
    if (a.type === 'email' && !can.emailConfigured) {
      errors.push({
        path: `${prefix}/actions/${i}/type`,
        message:
          'this server sends no e-mail: set actions.email.host (PLEXUS_ACTIONS_EMAIL_HOST), or use a webhook',
      });
    }
    if (a.type === 'webhook' && can.denyPrivateNetworks) {
      const problem = privateHostProblem(new URL(a.url as string).hostname);
      if (problem) errors.push({ path: `${prefix}/actions/${i}/url`, message: problem });
    }
  });
  return rule && errors.length === 0 ? { spec: rule, errors } : { errors };
}

/**
 * Rule management (issue #6): rules are data, checked by `parseRule` with
 * exact paths, versioned by the store and announced on the bus
 * (`rule-changed`) so the engine reloads exactly the rule that changed.
 * Only real changes are announced: re-applying the same file from git is a
 * no-op for the engine too (its per-device state is kept).
 */
export function createRuleService(deps: RuleDeps) {
  const { store, bus, clock } = deps;
  const log = deps.log.child({ part: 'rules' });
  const can: Capabilities = {
    emailConfigured: deps.emailConfigured === true,
    denyPrivateNetworks: deps.denyPrivateNetworks === true,
  };
  const now = () => new Date(clock.now()).toISOString();
  const changed = (tenant: string, name: string) => bus.publish('rule-changed', { tenant, name });

  async function require(tenant: string, name: string): Promise<StoredRule> {
    const r = await store.get(tenant, name);
    if (!r) throw new PlexusError(RuleErrors.NOT_FOUND, `rule ${name} does not exist`);
    return r;
  }

  async function setEnabled(tenant: string, name: string, enabled: boolean, actor: string) {
    const saved = await store.setEnabled(tenant, name, enabled, actor, now());
    if (!saved) throw new PlexusError(RuleErrors.NOT_FOUND, `rule ${name} does not exist`);
    if (saved.change !== 'unchanged') changed(tenant, name);
    return { rule: toRule(saved.rule), change: saved.change };
  }

  /** Enabled rules as actions read them on every transition, until the rule changes. */
  const cache = new Map<string, Promise<LoadedRule | undefined>>();
  const CACHE_MAX = 10_000;
  bus.subscribe(OWNER, 'rule-changed', (c) => cache.delete(`${c.tenant}\u0000${c.name}`));

  // Not 'rules': that owner is the engine's, and stop() removes all of an owner's listeners.
  bus.subscribe(OWNER, 'registry', (change) => {
    if (change.kind !== 'tenant-deleted') return;
    store.deleteTenant(change.tenant).then(
      (names) => {
        for (const name of names) changed(change.tenant, name);
      },
      (err: unknown) => log.error({ err, tenant: change.tenant }, 'deleting rules failed'),
    );
  });

  return {
    /**
     * Creates or replaces one rule from its document. `name` (PUT
     * /rules/{name}) must match the document's name; a document without
     * one takes it. Refuses with every problem at once (RULE_INVALID).
     */
    async save(tenant: string, raw: unknown, actor: string, name?: string): Promise<RuleSaveResult> {
      let doc = raw;
      if (name !== undefined && typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
        const given = (raw as Record<string, unknown>).name;
        if (given === undefined) doc = { ...raw, name };
        else if (given !== name) {
          const message = `the document names rule ${JSON.stringify(given)}, the URL rule ${name}`;
          throw new PlexusError(RuleErrors.NAME_MISMATCH, message, {
            errors: [{ path: `${BODY}/name`, message: `must be ${name} (the name in the URL)` }],
          });
        }
      }
      const { spec, errors } = check(doc, BODY, can);
      if (!spec) throw invalid(errors, name === undefined ? 'the rule' : `rule ${name}`);
      const saved = await store.save(tenant, spec, actor, now());
      if (saved.change !== 'unchanged') changed(tenant, spec.name);
      return { rule: toRule(saved.rule), change: saved.change };
    },
    /**
     * Saves a set of rules (`plexus rules apply`) all or nothing: every
     * document is checked first, problems reported at `/body/rules/<i>/...`,
     * then all are stored in one transaction.
     */
    async apply(tenant: string, raws: readonly unknown[], actor: string): Promise<ApplyResult[]> {
      if (raws.length > MAX_APPLY) {
        const message = `must hold at most ${MAX_APPLY} rules`;
        throw invalid([{ path: `${BODY}/rules`, message }], 'the set of rules');
      }
      const specs: RuleSpec[] = [];
      const errors: FieldError[] = [];
      const seen = new Map<string, number>();
      raws.forEach((raw, i) => {
        const r = check(raw, `${BODY}/rules/${i}`, can);
        errors.push(...r.errors);
        if (!r.spec) return;
        const first = seen.get(r.spec.name);
        if (first !== undefined)
          errors.push({
            path: `${BODY}/rules/${i}/name`,
            message: `rule ${r.spec.name} is also /rules/${first}`,
          });
        else seen.set(r.spec.name, i);
        specs.push(r.spec);
      });
      if (errors.length > 0) throw invalid(errors, 'the set of rules (nothing was applied)');
      const saved = await store.saveMany(tenant, specs, actor, now());
      for (const s of saved) if (s.change !== 'unchanged') changed(tenant, s.rule.name);
      return saved.map((s) => ({ name: s.rule.name, version: s.rule.version, change: s.change }));
    },
    get: async (tenant: string, name: string): Promise<Rule> => toRule(await require(tenant, name)),
    async list(tenant: string, q: RuleQuery): Promise<Page<Rule>> {
      const page = await store.list(tenant, q);
      return { ...page, items: page.items.map(toRule) };
    },
    /** Every kept version, newest first. */
    async versions(tenant: string, name: string): Promise<RuleVersion[]> {
      await require(tenant, name);
      return store.versions(tenant, name);
    },
    enable: (tenant: string, name: string, actor: string) => setEnabled(tenant, name, true, actor),
    disable: (tenant: string, name: string, actor: string) => setEnabled(tenant, name, false, actor),
    async delete(tenant: string, name: string): Promise<void> {
      if (!(await store.delete(tenant, name)))
        throw new PlexusError(RuleErrors.NOT_FOUND, `rule ${name} does not exist`);
      changed(tenant, name);
    },
    /** Every tenant's enabled rules: what the engine runs at start (with `current`, its RuleSource). */
    async listAll(): Promise<LoadedRule[]> {
      return (await store.listAll()).filter((r) => r.enabled).map(loaded);
    },
    /** The engine's reload after `rule-changed`: the rule if it exists and is enabled. */
    async current(tenant: string, name: string): Promise<LoadedRule | undefined> {
      const r = await store.get(tenant, name);
      return r?.enabled ? loaded(r) : undefined;
    },
    /**
     * `current`, cached until `rule-changed`: rule actions look their rule up
     * on every transition, and on PostgreSQL each lookup is a round trip.
     */
    cached(tenant: string, name: string): Promise<LoadedRule | undefined> {
      const key = `${tenant}\u0000${name}`;
      let p = cache.get(key);
      if (!p) {
        if (cache.size >= CACHE_MAX) cache.clear();
        p = this.current(tenant, name);
        cache.set(key, p);
        p.catch(() => cache.delete(key));
      }
      return p;
    },
    stop(): void {
      bus.unsubscribeAll(OWNER);
    },
  };
}
