import type { RuleStateRow, RuleStateStore } from '../rule-state.js';
import { type SqliteDb, statementCache, writeWhenFree } from './database.js';

export function createSqliteRuleStateStore(db: SqliteDb): RuleStateStore {
  const prepare = statementCache(db);
  const saveTx = db.transaction((rows: readonly RuleStateRow[]) => {
    const upsert = prepare(
      `INSERT INTO rule_state (tenant, rule, version, device, state, firing, last_action_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (tenant, rule, device) DO UPDATE SET version = excluded.version, state = excluded.state,
         firing = excluded.firing, last_action_at = excluded.last_action_at`,
    );
    for (const r of rows) {
      upsert.run(
        r.tenant,
        r.rule,
        r.version,
        r.device,
        JSON.stringify(r.state),
        r.firing ? 1 : 0,
        r.lastActionAt,
      );
    }
  });
  return {
    async loadAll() {
      const rows = prepare('SELECT * FROM rule_state').all() as {
        tenant: string;
        rule: string;
        version: number;
        device: string;
        state: string;
        firing: number;
        last_action_at: number | null;
      }[];
      return rows.map((r) => ({
        tenant: r.tenant,
        rule: r.rule,
        version: r.version,
        device: r.device,
        state: JSON.parse(r.state),
        firing: r.firing === 1,
        lastActionAt: r.last_action_at,
      }));
    },
    async saveMany(rows) {
      if (rows.length > 0) await writeWhenFree(db, () => saveTx(rows));
    },
    async delete(tenant, filter) {
      const where = ['tenant = ?'];
      const args: string[] = [tenant];
      if (filter.rule !== undefined) {
        where.push('rule = ?');
        args.push(filter.rule);
      }
      if (filter.device !== undefined) {
        where.push('device = ?');
        args.push(filter.device);
      }
      prepare(`DELETE FROM rule_state WHERE ${where.join(' AND ')}`).run(...args);
    },
  };
}
