import type { DeviceRuleStates, RuleStateRow, RuleStateStore } from '../rule-state.js';
import { type SqliteDb, statementCache } from './database.js';

/** A device's states as stored: rule name → [version, state, firing 0/1, lastActionAt]. */
type Stored = Record<string, [number, unknown, number, number | null]>;

export function createSqliteRuleStateStore(db: SqliteDb): RuleStateStore {
  const prepare = statementCache(db);
  const saveTx = db.transaction((devices: readonly DeviceRuleStates[]) => {
    const upsert = prepare(
      `INSERT INTO rule_states (tenant, device, states) VALUES (?, ?, ?)
       ON CONFLICT (tenant, device) DO UPDATE SET states = excluded.states`,
    );
    const remove = prepare('DELETE FROM rule_states WHERE tenant = ? AND device = ?');
    for (const d of devices) {
      const stored: Stored = {};
      let any = false;
      for (const [rule, s] of Object.entries(d.rules)) {
        stored[rule] = [s.version, s.state, s.firing ? 1 : 0, s.lastActionAt];
        any = true;
      }
      if (any) upsert.run(d.tenant, d.device, JSON.stringify(stored));
      else remove.run(d.tenant, d.device);
    }
  });
  return {
    async loadAll() {
      const rows = prepare('SELECT tenant, device, states FROM rule_states').all() as {
        tenant: string;
        device: string;
        states: string;
      }[];
      const out: RuleStateRow[] = [];
      for (const r of rows) {
        for (const [rule, [version, state, firing, lastActionAt]] of Object.entries(
          JSON.parse(r.states) as Stored,
        )) {
          out.push({
            tenant: r.tenant,
            rule,
            version,
            device: r.device,
            state,
            firing: firing === 1,
            lastActionAt,
          });
        }
      }
      return out;
    },
    async saveDevices(devices) {
      if (devices.length > 0) saveTx(devices);
    },
    async delete(tenant, filter) {
      const where = ['tenant = ?'];
      const args: string[] = [tenant];
      if (filter.device !== undefined) {
        where.push('device = ?');
        args.push(filter.device);
      }
      if (filter.rule === undefined) {
        prepare(`DELETE FROM rule_states WHERE ${where.join(' AND ')}`).run(...args);
        return;
      }
      // Rule names are ids (letters, digits, ".", "_", "-"); quoted, the path takes them literally.
      const path = `$.${JSON.stringify(filter.rule)}`;
      prepare(`UPDATE rule_states SET states = json_remove(states, ?) WHERE ${where.join(' AND ')}`).run(
        path,
        ...args,
      );
      prepare(`DELETE FROM rule_states WHERE ${where.join(' AND ')} AND states = '{}'`).run(...args);
    },
  };
}
