import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import type { DeviceRuleStates, RuleStateRow, SavedRuleState, Stores } from '../../src/store/index.js';
import { type ControlContractOptions, type ControlStores, contractSuite } from './twin.contract.js';

const state = (n: number, over: Partial<SavedRuleState> = {}): SavedRuleState => ({
  version: n,
  state: { since: 1000 * n, window: [1.5, -2, null], nested: { label: `s${n}` } },
  firing: n % 2 === 1,
  lastActionAt: n % 2 === 1 ? 5000 + n : null,
  ...over,
});

const dev = (device: string, rules: Record<string, SavedRuleState>, tenant = 'acme'): DeviceRuleStates => ({
  tenant,
  device,
  rules,
});

/** loadAll as sorted `tenant/device/rule` keys with their rows. */
async function loaded(s: Stores['ruleStates']): Promise<Record<string, RuleStateRow>> {
  const rows = await s.loadAll();
  const out: Record<string, RuleStateRow> = {};
  for (const r of rows.sort((a, b) => key(a).localeCompare(key(b)))) out[key(r)] = r;
  assert.equal(Object.keys(out).length, rows.length, 'one row per tenant, device and rule');
  return out;
}
const key = (r: RuleStateRow) => `${r.tenant}/${r.device}/${r.rule}`;
const row = (tenant: string, device: string, rule: string, s: SavedRuleState): RuleStateRow => ({
  tenant,
  device,
  rule,
  ...s,
});

export function runRuleStateContract(opts: ControlContractOptions): void {
  contractSuite('RuleStateStore', opts, () => {
    let ctx: { stores: ControlStores; close(): Promise<void> };
    let s: Stores['ruleStates'];
    beforeEach(async () => {
      ctx = await opts.create();
      s = ctx.stores.ruleStates;
    });
    afterEach(() => ctx.close());

    test('saved device states load back as one row per rule and device, every field intact', async () => {
      assert.deepEqual(await s.loadAll(), []);
      await s.saveDevices([]);
      await s.saveDevices([
        dev('d1', { hot: state(1), 'cold.v2-x_y': state(2) }),
        dev('d2', { hot: state(3, { state: null }) }),
        dev('d1', { hot: state(4) }, 'other'),
      ]);
      assert.deepEqual(await loaded(s), {
        'acme/d1/cold.v2-x_y': row('acme', 'd1', 'cold.v2-x_y', state(2)),
        'acme/d1/hot': row('acme', 'd1', 'hot', state(1)),
        'acme/d2/hot': row('acme', 'd2', 'hot', state(3, { state: null })),
        'other/d1/hot': row('other', 'd1', 'hot', state(4)),
      });
    });

    test("a device's save replaces all its states; no rules left removes it; the last entry per device wins", async () => {
      await s.saveDevices([
        dev('d1', { a: state(1), b: state(2) }),
        dev('d2', { a: state(3) }),
        dev('d3', { a: state(4) }),
      ]);
      await s.saveDevices([
        dev('d1', { b: state(5) }),
        dev('d2', {}),
        dev('d3', { c: state(6) }),
        dev('d3', { a: state(7) }),
        dev('d4', {}),
      ]);
      assert.deepEqual(await loaded(s), {
        'acme/d1/b': row('acme', 'd1', 'b', state(5)),
        'acme/d3/a': row('acme', 'd3', 'a', state(7)),
      });
      await s.saveDevices([dev('d5', { a: state(8) }), dev('d5', {})]);
      assert.equal(Object.keys(await loaded(s)).length, 2, 'a device emptied later in one snapshot is gone');
    });

    test('a snapshot of many devices is written whole', async () => {
      const devices = Array.from({ length: 2500 }, (_, i) => dev(`d${i}`, { a: state(i), b: state(i + 1) }));
      await s.saveDevices(devices);
      const all = await s.loadAll();
      assert.equal(all.length, 5000);
      assert.deepEqual(
        all.find((r) => r.device === 'd1234' && r.rule === 'b'),
        row('acme', 'd1234', 'b', state(1235)),
      );
    });

    test('concurrent snapshots over the same devices in other orders neither fail nor mix', async () => {
      const forward = Array.from({ length: 200 }, (_, i) => dev(`d${i}`, { a: state(1) }));
      const backward = [...forward].reverse().map((d) => dev(d.device, { a: state(2) }));
      await Promise.all([s.saveDevices(forward), s.saveDevices(backward), s.saveDevices(forward)]);
      const versions = new Set((await s.loadAll()).map((r) => r.version));
      assert.equal((await s.loadAll()).length, 200);
      assert.ok(versions.size === 1, `every device from one snapshot, got versions ${[...versions]}`);
    });

    test("deleting a rule's state takes its key out of every device of the tenant", async () => {
      await s.saveDevices([
        dev('d1', { 'hot.v1': state(1), cold: state(2) }),
        dev('d2', { 'hot.v1': state(3) }),
        dev('d3', { cold: state(4) }),
        dev('d1', { 'hot.v1': state(5) }, 'other'),
      ]);
      await s.delete('acme', { rule: 'hot.v1' });
      assert.deepEqual(await loaded(s), {
        'acme/d1/cold': row('acme', 'd1', 'cold', state(2)),
        'acme/d3/cold': row('acme', 'd3', 'cold', state(4)),
        'other/d1/hot.v1': row('other', 'd1', 'hot.v1', state(5)),
      });
      // The device whose only rule went is gone: a later save of another rule starts it afresh.
      await s.saveDevices([dev('d2', { cold: state(6) })]);
      assert.deepEqual((await loaded(s))['acme/d2/cold'], row('acme', 'd2', 'cold', state(6)));
      await s.delete('acme', { rule: 'nothing-here' });
      assert.equal((await s.loadAll()).length, 4);
    });

    test('deleting a rule keeps other states intact, also text with NUL and the rule name inside a state', async () => {
      const odd = state(1, { state: { last: 'a\u0000b', note: '"hot": mentioned', hot: 1 } });
      await s.saveDevices([dev('d1', { hot: state(2), cold: odd }), dev('d2', { cold: odd })]);
      await s.delete('acme', { rule: 'hot' });
      assert.deepEqual(await loaded(s), {
        'acme/d1/cold': row('acme', 'd1', 'cold', odd),
        'acme/d2/cold': row('acme', 'd2', 'cold', odd),
      });
      await s.delete('acme', { rule: 'cold', device: 'd2' });
      assert.deepEqual(Object.keys(await loaded(s)), ['acme/d1/cold']);
    });

    test('deleting by device, by rule and device, and the whole tenant', async () => {
      await s.saveDevices([
        dev('d1', { a: state(1), b: state(2) }),
        dev('d2', { a: state(3), b: state(4) }),
        dev('d3', { a: state(5) }),
        dev('d1', { a: state(6) }, 'other'),
      ]);
      await s.delete('acme', { device: 'd1' });
      await s.delete('acme', { device: 'd2', rule: 'a' });
      await s.delete('acme', { device: 'd3', rule: 'a' });
      assert.deepEqual(Object.keys(await loaded(s)), ['acme/d2/b', 'other/d1/a']);
      await s.delete('acme', {});
      assert.deepEqual(Object.keys(await loaded(s)), ['other/d1/a']);
    });
  });
}
