import { type DeviceStatesRow, encodeStates, type StoredStates, toRuleStates } from '../rows/rule-state.js';
import type { DeviceRuleStates, RuleStateStore } from '../rule-state.js';
import { inTransaction, type PgPool } from './database.js';
import { statement } from './statement.js';

const SQL = {
  loadAll: statement('SELECT tenant, device, states FROM rule_states'),
  // One statement for the whole snapshot: the deletes and the upserts touch different devices.
  save: statement(
    `WITH gone AS (
       DELETE FROM rule_states r USING unnest($4::text[], $5::text[]) AS g(tenant, device)
       WHERE r.tenant = g.tenant AND r.device = g.device)
     INSERT INTO rule_states (tenant, device, states)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
     ON CONFLICT (tenant, device) DO UPDATE SET states = excluded.states`,
  ),
  delete: statement('DELETE FROM rule_states WHERE tenant = $1 AND ($2::text IS NULL OR device = $2)'),
  // The documents that may hold a rule's key (its quoted name appears in them).
  holding: statement(
    `SELECT device, states FROM rule_states
     WHERE tenant = $1 AND ($2::text IS NULL OR device = $2) AND strpos(states, $3) > 0
     ORDER BY device COLLATE "C" FOR UPDATE`,
  ),
  rewrite: statement(
    `WITH emptied AS (DELETE FROM rule_states WHERE tenant = $1 AND device = ANY($4::text[]))
     UPDATE rule_states r SET states = k.states FROM unnest($2::text[], $3::text[]) AS k(device, states)
     WHERE r.tenant = $1 AND r.device = k.device`,
  ),
};

/**
 * The devices of one snapshot, last entry per device winning (as SQLite's
 * sequential writes), sorted (byte order: ids are ASCII) so that concurrent
 * snapshots and rule deletions lock rows in one order and cannot deadlock.
 */
function latest(devices: readonly DeviceRuleStates[]): DeviceRuleStates[] {
  const byKey = new Map<string, DeviceRuleStates>();
  for (const d of devices) byKey.set(`${d.tenant}\u0000${d.device}`, d);
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, d]) => d);
}

export function createPgRuleStateStore(pool: PgPool): RuleStateStore {
  return {
    async loadAll() {
      const { rows } = await pool.query<DeviceStatesRow>(SQL.loadAll());
      return rows.flatMap(toRuleStates);
    },
    async saveDevices(devices) {
      if (devices.length === 0) return;
      const put = { tenant: [] as string[], device: [] as string[], states: [] as string[] };
      const gone = { tenant: [] as string[], device: [] as string[] };
      for (const d of latest(devices)) {
        const states = encodeStates(d.rules);
        if (states === undefined) {
          gone.tenant.push(d.tenant);
          gone.device.push(d.device);
          continue;
        }
        put.tenant.push(d.tenant);
        put.device.push(d.device);
        put.states.push(states);
      }
      await pool.query(SQL.save([put.tenant, put.device, put.states, gone.tenant, gone.device]));
    },
    async delete(tenant, filter) {
      const device = filter.device ?? null;
      if (filter.rule === undefined) {
        await pool.query(SQL.delete([tenant, device]));
        return;
      }
      const rule = filter.rule;
      // The key leaves each device document here, not with jsonb's "-": PostgreSQL's JSON functions
      // refuse a document holding "\u0000" (a state may keep a device's text). The rows stay locked,
      // in device order as snapshots lock them, until the rewrite commits.
      await inTransaction(pool, async (c) => {
        const { rows } = await c.query<{ device: string; states: string }>(
          SQL.holding([tenant, device, JSON.stringify(rule)]),
        );
        const kept = { device: [] as string[], states: [] as string[] };
        const emptied: string[] = [];
        for (const r of rows) {
          const stored = JSON.parse(r.states) as StoredStates;
          if (!Object.hasOwn(stored, rule)) continue; // the name only appeared inside a state
          delete stored[rule];
          if (Object.keys(stored).length === 0) emptied.push(r.device);
          else {
            kept.device.push(r.device);
            kept.states.push(JSON.stringify(stored));
          }
        }
        if (kept.device.length + emptied.length > 0)
          await c.query(SQL.rewrite([tenant, kept.device, kept.states, emptied]));
      });
    },
  };
}
