import type { RuleSpec } from '../rules/index.js';
import type { Page, PageQuery } from './page.js';

/** A rule as stored: its current spec and who changed it last. */
export interface StoredRule {
  readonly tenant: string;
  readonly name: string;
  /** 1 for a new rule, +1 for each change of its spec (enabling and disabling included). */
  readonly version: number;
  readonly enabled: boolean;
  readonly spec: RuleSpec;
  /** ISO instants, as the registry's. */
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

/** One kept version of a rule (every one is kept until the rule is deleted). */
export interface StoredRuleVersion {
  readonly version: number;
  readonly spec: RuleSpec;
  readonly createdAt: string;
  readonly createdBy: string;
}

export interface RuleQuery extends PageQuery {
  readonly enabled?: boolean;
}

/** What a save did: `unchanged` when the spec equals the stored one (no new version). */
export type RuleChange = 'created' | 'updated' | 'unchanged';

export interface RuleSaved {
  readonly rule: StoredRule;
  readonly change: RuleChange;
}

/**
 * Rules as versioned data (issue #6). Each save compares the spec with the
 * stored one and adds a version only when it differs, so applying the same
 * file from git twice changes nothing. Specs are compared key-order-blind:
 * YAML and JSON of the same rule are the same rule.
 */
export interface RuleStore {
  /** Saves specs of one tenant in one transaction: all are stored, or none. */
  saveMany(tenant: string, specs: readonly RuleSpec[], actor: string, at: string): Promise<RuleSaved[]>;
  save(tenant: string, spec: RuleSpec, actor: string, at: string): Promise<RuleSaved>;
  get(tenant: string, name: string): Promise<StoredRule | undefined>;
  /** By name; `after` is the last name of the previous page. */
  list(tenant: string, q: RuleQuery): Promise<Page<StoredRule>>;
  /** Every tenant's rules (the engine loads them at start). */
  listAll(): Promise<StoredRule[]>;
  /** Newest first; empty when the rule does not exist. */
  versions(tenant: string, name: string): Promise<StoredRuleVersion[]>;
  /** A new version with `enabled` changed; undefined when the rule does not exist. */
  setEnabled(
    tenant: string,
    name: string,
    enabled: boolean,
    actor: string,
    at: string,
  ): Promise<RuleSaved | undefined>;
  /** Deletes the rule and its versions; false when there was none. */
  delete(tenant: string, name: string): Promise<boolean>;
  /** Deletes every rule of the tenant; returns their names. */
  deleteTenant(tenant: string): Promise<string[]>;
}
