import type { RuleSpec } from '../../rules/index.js';
import type { StoredRule, StoredRuleVersion } from '../rules.js';

/** Rule rows ↔ model, shared by the SQLite and PostgreSQL stores (same columns). */
export interface RuleRow {
  tenant: string;
  name: string;
  version: number;
  enabled: number;
  spec: string;
  created_at: string;
  updated_at: string;
  updated_by: string;
}

export interface RuleVersionRow {
  version: number;
  spec: string;
  created_at: string;
  created_by: string;
}

export const toRule = (r: RuleRow): StoredRule => ({
  tenant: r.tenant,
  name: r.name,
  version: r.version,
  enabled: r.enabled === 1,
  spec: JSON.parse(r.spec) as RuleSpec,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  updatedBy: r.updated_by,
});

export const toRuleVersion = (r: RuleVersionRow): StoredRuleVersion => ({
  version: r.version,
  spec: JSON.parse(r.spec) as RuleSpec,
  createdAt: r.created_at,
  createdBy: r.created_by,
});
