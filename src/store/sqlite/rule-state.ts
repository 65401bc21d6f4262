import { type DeviceStatesRow, encodeStates, toRuleStates } from '../rows/rule-state.js';
import type { DeviceRuleStates, RuleStateStore } from '../rule-state.js';
import { type SqliteDb, statementCache } from './database.js';

export function createSqliteRuleStateStore(db: SqliteDb): RuleStateStore {
  const prepare = statementCache(db);
  const saveTx = db.transaction((devices: readonly DeviceRuleStates[]) => {
    const upsert = prepare(
      `INSERT INTO rule_states (tenant, device, states) VALUES (?, ?, ?)
       ON CONFLICT (tenant, device) DO UPDATE SET states = excluded.states`,
    );
    const remove = prepare('DELETE FROM rule_states WHERE tenant = ? AND device = ?');
    for (const d of devices) {
      const states = encodeStates(d.rules);
      if (states !== undefined) upsert.run(d.tenant, d.device, states);
      else remove.run(d.tenant, d.device);
    }
  });
  return {
    async loadAll() {
      const rows = prepare('SELECT tenant, device, states FROM rule_states').all() as DeviceStatesRow[];
      return rows.flatMap(toRuleStates);
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
