import { defineErrors } from '../core/errors.js';

/** Errors of rule management (issue #6); docs/errors.md says how to solve each. */
export const RuleErrors = defineErrors('RULE', {
  INVALID: { status: 400, title: 'Invalid rule' },
  NOT_FOUND: { status: 404, title: 'Rule not found' },
  NAME_MISMATCH: { status: 400, title: 'The rule names another rule than the URL' },
});
