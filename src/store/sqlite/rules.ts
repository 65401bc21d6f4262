import type { RuleSpec } from '../../rules/index.js';
import { toPage } from '../page.js';
import { type RuleRow, type RuleVersionRow, toRule, toRuleVersion } from '../rows/rules.js';
import type { RuleSaved, RuleStore } from '../rules.js';
import { type SqliteDb, statementCache } from './database.js';

/** JSON with object keys sorted, so key order never makes two equal specs differ. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function createSqliteRuleStore(db: SqliteDb): RuleStore {
  const prepare = statementCache(db);
  const getRow = (tenant: string, name: string) =>
    prepare('SELECT * FROM rules WHERE tenant = ? AND name = ?').get(tenant, name) as RuleRow | undefined;

  /** One save inside an open transaction. */
  function saveOne(tenant: string, spec: RuleSpec, actor: string, at: string): RuleSaved {
    const old = getRow(tenant, spec.name);
    if (old && canonical(JSON.parse(old.spec)) === canonical(spec))
      return { rule: toRule(old), change: 'unchanged' };
    const version = old ? old.version + 1 : 1;
    const text = JSON.stringify(spec);
    prepare(
      `INSERT INTO rules (tenant, name, version, enabled, spec, created_at, updated_at, updated_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (tenant, name) DO UPDATE SET version = excluded.version, enabled = excluded.enabled,
         spec = excluded.spec, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
    ).run(tenant, spec.name, version, spec.enabled ? 1 : 0, text, at, at, actor);
    prepare(
      'INSERT INTO rule_versions (tenant, name, version, spec, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(tenant, spec.name, version, text, at, actor);
    return { rule: toRule(getRow(tenant, spec.name) as RuleRow), change: old ? 'updated' : 'created' };
  }

  const saveManyTx = db.transaction(
    (tenant: string, specs: readonly RuleSpec[], actor: string, at: string): RuleSaved[] =>
      specs.map((s) => saveOne(tenant, s, actor, at)),
  );
  const setEnabledTx = db.transaction(
    (tenant: string, name: string, enabled: boolean, actor: string, at: string) => {
      const old = getRow(tenant, name);
      if (!old) return undefined;
      return saveOne(tenant, { ...(JSON.parse(old.spec) as RuleSpec), enabled }, actor, at);
    },
  );
  const deleteTx = db.transaction((tenant: string, name: string): boolean => {
    prepare('DELETE FROM rule_versions WHERE tenant = ? AND name = ?').run(tenant, name);
    return prepare('DELETE FROM rules WHERE tenant = ? AND name = ?').run(tenant, name).changes > 0;
  });
  const deleteTenantTx = db.transaction((tenant: string): string[] => {
    const names = (
      prepare('SELECT name FROM rules WHERE tenant = ? ORDER BY name').all(tenant) as { name: string }[]
    ).map((r) => r.name);
    prepare('DELETE FROM rule_versions WHERE tenant = ?').run(tenant);
    prepare('DELETE FROM rules WHERE tenant = ?').run(tenant);
    return names;
  });

  return {
    async saveMany(tenant, specs, actor, at) {
      return saveManyTx(tenant, specs, actor, at);
    },
    async save(tenant, spec, actor, at) {
      return saveManyTx(tenant, [spec], actor, at)[0] as RuleSaved;
    },
    async get(tenant, name) {
      const r = getRow(tenant, name);
      return r && toRule(r);
    },
    async list(tenant, q) {
      const where = ['tenant = ?'];
      const args: unknown[] = [tenant];
      if (q.enabled !== undefined) {
        where.push('enabled = ?');
        args.push(q.enabled ? 1 : 0);
      }
      if (q.after !== undefined) {
        where.push('name > ?');
        args.push(q.after);
      }
      const rows = prepare(`SELECT * FROM rules WHERE ${where.join(' AND ')} ORDER BY name LIMIT ?`).all(
        ...args,
        q.limit + 1,
      ) as RuleRow[];
      const page = toPage(rows, q.limit, (r) => r.name);
      return { ...page, items: page.items.map(toRule) };
    },
    async listAll() {
      return (prepare('SELECT * FROM rules ORDER BY tenant, name').all() as RuleRow[]).map(toRule);
    },
    async versions(tenant, name) {
      const rows = prepare(
        'SELECT * FROM rule_versions WHERE tenant = ? AND name = ? ORDER BY version DESC',
      ).all(tenant, name) as RuleVersionRow[];
      return rows.map(toRuleVersion);
    },
    async setEnabled(tenant, name, enabled, actor, at) {
      return setEnabledTx(tenant, name, enabled, actor, at);
    },
    async delete(tenant, name) {
      return deleteTx(tenant, name);
    },
    async deleteTenant(tenant) {
      return deleteTenantTx(tenant);
    },
  };
}
