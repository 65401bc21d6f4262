import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import type { RuleSpec } from '../../src/rules/index.js';
import type { Stores } from '../../src/store/index.js';
import { type ControlContractOptions, type ControlStores, contractSuite } from './twin.contract.js';

const AT = ['2025-01-01T00:00:00.000Z', '2025-01-02T00:00:00.000Z', '2025-01-03T00:00:00.000Z'] as const;

const spec = (name: string, over: Partial<RuleSpec> = {}): RuleSpec => ({
  name,
  description: `about ${name}`,
  enabled: true,
  target: { profile: 'sensor', labels: { site: 'north' } },
  condition: { type: 'threshold', key: 'temp', op: '>', value: 30 },
  alarm: { type: 'overheat', severity: 'major', autoClear: true },
  actions: [{ type: 'webhook', url: 'https://example.com/hook', body: { t: '{{value}}' } }],
  throttleMs: 60_000,
  ...over,
});

/** The same spec with every object's keys in reverse order (as YAML may give them). */
function reversedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reversedKeys);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .reverse()
        .map(([k, x]) => [k, reversedKeys(x)]),
    );
  return v;
}

export function runRuleContract(opts: ControlContractOptions): void {
  contractSuite('RuleStore', opts, () => {
    let ctx: { stores: ControlStores; close(): Promise<void> };
    let s: Stores['rules'];
    beforeEach(async () => {
      ctx = await opts.create();
      s = ctx.stores.rules;
    });
    afterEach(() => ctx.close());

    const names = async (q: Parameters<Stores['rules']['list']>[1], tenant = 'acme') =>
      (await s.list(tenant, q)).items.map((r) => r.name);

    test('a save creates version 1; an equal spec (any key order) is unchanged; a change adds a version', async () => {
      const created = await s.save('acme', spec('hot'), 'user:alice', AT[0]);
      const v1 = {
        tenant: 'acme',
        name: 'hot',
        version: 1,
        enabled: true,
        spec: spec('hot'),
        createdAt: AT[0],
        updatedAt: AT[0],
        updatedBy: 'user:alice',
      };
      assert.deepEqual(created, { rule: v1, change: 'created' });
      assert.deepEqual(await s.get('acme', 'hot'), v1);
      assert.equal(await s.get('other', 'hot'), undefined);

      const same = await s.save('acme', reversedKeys(spec('hot')) as RuleSpec, 'user:bob', AT[1]);
      assert.deepEqual(same, { rule: v1, change: 'unchanged' });

      const changed = spec('hot', { condition: { type: 'threshold', key: 'temp', op: '>', value: 35 } });
      const updated = await s.save('acme', changed, 'user:bob', AT[1]);
      assert.deepEqual(updated, {
        rule: { ...v1, version: 2, spec: changed, updatedAt: AT[1], updatedBy: 'user:bob' },
        change: 'updated',
      });
      assert.deepEqual(await s.versions('acme', 'hot'), [
        { version: 2, spec: changed, createdAt: AT[1], createdBy: 'user:bob' },
        { version: 1, spec: spec('hot'), createdAt: AT[0], createdBy: 'user:alice' },
      ]);
      assert.deepEqual(await s.versions('acme', 'ghost'), []);
    });

    test('saveMany stores all specs in one transaction: a failing one stores none', async () => {
      await s.save('acme', spec('kept'), 'user:alice', AT[0]);
      const saved = await s.saveMany(
        'acme',
        [spec('a'), spec('kept'), spec('b', { enabled: false })],
        'git',
        AT[1],
      );
      assert.deepEqual(
        saved.map((r) => [r.rule.name, r.change, r.rule.version, r.rule.enabled]),
        [
          ['a', 'created', 1, true],
          ['kept', 'unchanged', 1, true],
          ['b', 'created', 1, false],
        ],
      );
      // A spec that cannot be stored (not JSON) after a valid one: neither is kept.
      const broken = { ...spec('c'), condition: { value: 1n } } as unknown as RuleSpec;
      await assert.rejects(s.saveMany('acme', [spec('a', { throttleMs: 0 }), broken], 'git', AT[2]));
      assert.equal((await s.get('acme', 'a'))?.version, 1);
      assert.equal(await s.get('acme', 'c'), undefined);
      assert.deepEqual(await names({ limit: 10 }), ['a', 'b', 'kept']);
    });

    test('list goes by name in byte order, pages after the last name, filters by enabled', async () => {
      const all = ['b', 'B', 'a-b', 'a.c', 'ab', 'a_c', 'A', 'a', '0'];
      for (const n of all) await s.save('acme', spec(n, { enabled: n !== 'ab' && n !== 'A' }), 'u', AT[0]);
      await s.save('other', spec('zz'), 'u', AT[0]);
      const sorted = ['0', 'A', 'B', 'a', 'a-b', 'a.c', 'a_c', 'ab', 'b'];
      assert.deepEqual(await names({ limit: 20 }), sorted);
      const pages: string[][] = [];
      let after: string | undefined;
      do {
        const page = await s.list('acme', { limit: 4, after });
        pages.push(page.items.map((r) => r.name));
        after = page.nextAfter;
      } while (after !== undefined && pages.length < 10);
      assert.deepEqual(pages, [sorted.slice(0, 4), sorted.slice(4, 8), sorted.slice(8)]);
      assert.equal((await s.list('acme', { limit: 9 })).nextAfter, undefined);
      assert.deepEqual(await names({ limit: 20, enabled: false }), ['A', 'ab']);
      assert.deepEqual(await names({ limit: 20, enabled: true, after: 'a' }), ['a-b', 'a.c', 'a_c', 'b']);
      assert.deepEqual(await names({ limit: 20 }, 'other'), ['zz']);
    });

    test('listAll gives every tenant rules by tenant, then name', async () => {
      await s.save('zeta', spec('x'), 'u', AT[0]);
      await s.save('acme', spec('b'), 'u', AT[0]);
      await s.save('acme', spec('a'), 'u', AT[0]);
      await s.save('beta', spec('c'), 'u', AT[0]);
      assert.deepEqual(
        (await s.listAll()).map((r) => `${r.tenant}/${r.name}`),
        ['acme/a', 'acme/b', 'beta/c', 'zeta/x'],
      );
    });

    test('setEnabled adds a version only when it changes something', async () => {
      await s.save('acme', spec('hot'), 'user:alice', AT[0]);
      const off = await s.setEnabled('acme', 'hot', false, 'user:bob', AT[1]);
      assert.equal(off?.change, 'updated');
      assert.deepEqual(off?.rule, {
        tenant: 'acme',
        name: 'hot',
        version: 2,
        enabled: false,
        spec: spec('hot', { enabled: false }),
        createdAt: AT[0],
        updatedAt: AT[1],
        updatedBy: 'user:bob',
      });
      assert.equal((await s.setEnabled('acme', 'hot', false, 'user:carol', AT[2]))?.change, 'unchanged');
      assert.equal((await s.setEnabled('acme', 'hot', true, 'user:carol', AT[2]))?.rule.version, 3);
      assert.equal(await s.setEnabled('acme', 'ghost', true, 'u', AT[2]), undefined);
      assert.equal(await s.get('acme', 'ghost'), undefined);
      assert.deepEqual(
        (await s.versions('acme', 'hot')).map((v) => [v.version, v.spec.enabled, v.createdBy]),
        [
          [3, true, 'user:carol'],
          [2, false, 'user:bob'],
          [1, true, 'user:alice'],
        ],
      );
    });

    test('concurrent saves of one rule each get their own version, none lost', async () => {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => s.save('acme', spec('hot', { throttleMs: i }), `u${i}`, AT[0])),
      );
      assert.deepEqual(
        results.map((r) => r.rule.version).sort((a, b) => a - b),
        [1, 2, 3, 4, 5, 6, 7, 8],
      );
      assert.equal(results.filter((r) => r.change === 'created').length, 1);
      const versions = await s.versions('acme', 'hot');
      assert.deepEqual(
        versions.map((v) => v.version),
        [8, 7, 6, 5, 4, 3, 2, 1],
      );
      const latest = results.find((r) => r.rule.version === 8);
      assert.deepEqual(await s.get('acme', 'hot'), latest?.rule);
    });

    test('delete removes a rule with its versions; a new rule of that name starts at 1', async () => {
      await s.save('acme', spec('hot'), 'u', AT[0]);
      await s.save('acme', spec('hot', { throttleMs: 1 }), 'u', AT[1]);
      await s.save('other', spec('hot'), 'u', AT[0]);
      assert.equal(await s.delete('acme', 'hot'), true);
      assert.equal(await s.delete('acme', 'hot'), false);
      assert.equal(await s.get('acme', 'hot'), undefined);
      assert.deepEqual(await s.versions('acme', 'hot'), []);
      assert.equal((await s.save('acme', spec('hot'), 'u', AT[2])).rule.version, 1);
      assert.deepEqual(
        (await s.versions('acme', 'hot')).map((v) => v.version),
        [1],
      );
      assert.equal((await s.get('other', 'hot'))?.version, 1);
    });

    test('deleteTenant removes every rule and version of the tenant and names them in order', async () => {
      for (const n of ['b', 'a', 'c']) await s.save('acme', spec(n), 'u', AT[0]);
      await s.save('acme', spec('a', { throttleMs: 5 }), 'u', AT[1]);
      await s.save('other', spec('a'), 'u', AT[0]);
      assert.deepEqual(await s.deleteTenant('acme'), ['a', 'b', 'c']);
      assert.deepEqual(await names({ limit: 10 }), []);
      assert.deepEqual(await s.versions('acme', 'a'), []);
      assert.deepEqual(await s.deleteTenant('acme'), []);
      assert.deepEqual(await names({ limit: 10 }, 'other'), ['a']);
      assert.equal((await s.versions('other', 'a')).length, 1);
    });
  });
}
