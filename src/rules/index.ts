/**
 * Rules (ARCHITECTURE §2, issue #6): the rule document, its checking with
 * exact paths, the condition evaluators and action templates, and rule
 * management (versioned store, service, REST routes). The engine,
 * alarms and the outbox build on these.
 * @module
 */
export type { Condition, Needs, Problem, Signal } from './conditions/index.js';
export { parseCondition } from './conditions/index.js';
export { createDryRun, type DryRun, type DryRunResult } from './dry-run.js';
export { createRuleEngine, type EngineRule, type RuleSource } from './engine.js';
export { RuleErrors } from './errors.js';
export { ruleRoutes } from './routes.js';
export {
  type ApplyResult,
  createRuleService,
  type LoadedRule,
  type Rule,
  type RuleSaveResult,
  type RuleService,
  type RuleVersion,
} from './service.js';
export { parseRule, type RuleSpec, type RuleTarget, SEVERITIES, type Severity } from './spec.js';
export { render, renderJson, TEMPLATE_VARIABLES, type TemplateVariable } from './template.js';
