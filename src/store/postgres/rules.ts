import { isDeepStrictEqual } from 'node:util';
import type { RuleSpec } from '../../rules/index.js';
import { toPage } from '../page.js';
import { type RuleRow, type RuleVersionRow, toRule, toRuleVersion } from '../rows/rules.js';
import type { RuleSaved, RuleStore } from '../rules.js';
import { inTransaction, type PgClient, type PgPool } from './database.js';
import { statement } from './statement.js';
import { Where } from './where.js';

const SQL = {
  lock: statement('SELECT pg_advisory_xact_lock($1, hashtext($2))'),
  get: statement('SELECT * FROM rules WHERE tenant = $1 AND name = $2'),
  upsert: statement(
    `INSERT INTO rules (tenant, name, version, enabled, spec, created_at, updated_at, updated_by)
     VALUES ($1, $2, $3, $4, $5, $6, $6, $7)
     ON CONFLICT (tenant, name) DO UPDATE SET version = excluded.version, enabled = excluded.enabled,
       spec = excluded.spec, updated_at = excluded.updated_at, updated_by = excluded.updated_by
     RETURNING *`,
  ),
  addVersion: statement(
    'INSERT INTO rule_versions (tenant, name, version, spec, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)',
  ),
  listAll: statement('SELECT * FROM rules ORDER BY tenant, name'),
  versions: statement('SELECT * FROM rule_versions WHERE tenant = $1 AND name = $2 ORDER BY version DESC'),
  deleteVersions: statement('DELETE FROM rule_versions WHERE tenant = $1 AND name = $2'),
  delete: statement('DELETE FROM rules WHERE tenant = $1 AND name = $2'),
  deleteTenant: statement(
    'WITH gone AS (DELETE FROM rules WHERE tenant = $1 RETURNING name) SELECT name FROM gone ORDER BY name',
  ),
  deleteTenantVersions: statement('DELETE FROM rule_versions WHERE tenant = $1'),
};

/**
 * Class of the advisory locks (two-key form) that serialise rule writes
 * per tenant. A save reads the current version and writes the next one:
 * without the lock two saves of one rule would both write version n + 1
 * (or both create version 1), where SQLite's single writer orders them.
 */
const RULES_LOCK = 0x72756c65; // "rule"

/** Runs `fn` in a transaction holding the tenant's rule lock. */
function locked<T>(pool: PgPool, tenant: string, fn: (c: PgClient) => Promise<T>): Promise<T> {
  return inTransaction(pool, async (c) => {
    await c.query(SQL.lock([RULES_LOCK, tenant]));
    return fn(c);
  });
}

const getRow = async (c: PgClient | PgPool, tenant: string, name: string) =>
  (await c.query<RuleRow>(SQL.get([tenant, name]))).rows[0];

/** One save inside a locked transaction. Specs compare as JSON values, key order aside (as SQLite's canonical form). */
async function saveOne(
  c: PgClient,
  tenant: string,
  spec: RuleSpec,
  actor: string,
  at: string,
): Promise<RuleSaved> {
  const old = await getRow(c, tenant, spec.name);
  const text = JSON.stringify(spec);
  if (old && isDeepStrictEqual(JSON.parse(old.spec), JSON.parse(text)))
    return { rule: toRule(old), change: 'unchanged' };
  const version = old ? old.version + 1 : 1;
  const saved = await c.query<RuleRow>(
    SQL.upsert([tenant, spec.name, version, spec.enabled ? 1 : 0, text, at, actor]),
  );
  await c.query(SQL.addVersion([tenant, spec.name, version, text, at, actor]));
  return { rule: toRule(saved.rows[0] as RuleRow), change: old ? 'updated' : 'created' };
}

export function createPgRuleStore(pool: PgPool): RuleStore {
  const saveMany = (tenant: string, specs: readonly RuleSpec[], actor: string, at: string) =>
    locked(pool, tenant, async (c) => {
      const out: RuleSaved[] = [];
      for (const s of specs) out.push(await saveOne(c, tenant, s, actor, at));
      return out;
    });
  return {
    saveMany,
    async save(tenant, spec, actor, at) {
      return (await saveMany(tenant, [spec], actor, at))[0] as RuleSaved;
    },
    async get(tenant, name) {
      const r = await getRow(pool, tenant, name);
      return r && toRule(r);
    },
    async list(tenant, q) {
      const where = new Where(tenant);
      where.add('enabled', q.enabled === undefined ? undefined : q.enabled ? 1 : 0);
      where.add('name', q.after, '>');
      const limit = where.param(q.limit + 1);
      const { rows } = await pool.query<RuleRow>(
        `SELECT * FROM rules WHERE ${where} ORDER BY name LIMIT ${limit}`,
        where.args,
      );
      const page = toPage(rows, q.limit, (r) => r.name);
      return { ...page, items: page.items.map(toRule) };
    },
    async listAll() {
      return (await pool.query<RuleRow>(SQL.listAll())).rows.map(toRule);
    },
    async versions(tenant, name) {
      const { rows } = await pool.query<RuleVersionRow>(SQL.versions([tenant, name]));
      return rows.map(toRuleVersion);
    },
    async setEnabled(tenant, name, enabled, actor, at) {
      return locked(pool, tenant, async (c) => {
        const old = await getRow(c, tenant, name);
        if (!old) return undefined;
        return saveOne(c, tenant, { ...(JSON.parse(old.spec) as RuleSpec), enabled }, actor, at);
      });
    },
    async delete(tenant, name) {
      return locked(pool, tenant, async (c) => {
        await c.query(SQL.deleteVersions([tenant, name]));
        return (await c.query(SQL.delete([tenant, name]))).rowCount === 1;
      });
    },
    async deleteTenant(tenant) {
      return locked(pool, tenant, async (c) => {
        const { rows } = await c.query<{ name: string }>(SQL.deleteTenant([tenant]));
        await c.query(SQL.deleteTenantVersions([tenant]));
        return rows.map((r) => r.name);
      });
    },
  };
}
