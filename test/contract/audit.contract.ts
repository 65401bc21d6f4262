import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { AuditQuery, AuditRecord } from '../../src/security/audit-model.js';
import type { Stores } from '../../src/store/index.js';
import type { ContractOptions } from './registry.contract.js';

type Entry = Omit<AuditRecord, 'seq'>;

/** Minute `n` of one day, so records sort by time as they are appended. */
const at = (n: number) => `2024-05-01T00:${String(n).padStart(2, '0')}:00.000Z`;
const entry = (n: number, over: Partial<Entry> = {}): Entry => ({
  ts: at(n),
  tenant: 'acme',
  actor: 'user:alice',
  action: 'device.create',
  resource: 'device',
  resourceId: `d${n}`,
  status: 201,
  ip: '192.0.2.1',
  details: null,
  ...over,
});

export function runAuditContract(opts: ContractOptions): void {
  describe(`AuditStore contract: ${opts.name}`, opts.skip === undefined ? {} : { skip: opts.skip }, () => {
    let ctx: { stores: Stores; close(): Promise<void> };
    let s: Stores['audit'];
    beforeEach(async () => {
      ctx = await opts.create();
      s = ctx.stores.audit;
    });
    afterEach(() => ctx.close());

    /** resourceIds of one page of the query. */
    const rids = async (q: Partial<AuditQuery>, tenant = 'acme') =>
      (await s.list(tenant, { limit: 100, ...q })).items.map((r) => r.resourceId);

    test('records list newest first with increasing seq and every field intact', async () => {
      const entries = [
        entry(1),
        entry(2, { actor: 'apikey:k1', status: 403, ip: null, resourceId: null }),
        entry(3, { details: { name: 'Press', labels: { site: 'n' }, tags: [1, 'two', null], ok: true } }),
      ];
      for (const e of entries) await s.append(e);
      const page = await s.list('acme', { limit: 10 });
      assert.equal(page.nextAfter, undefined);
      assert.deepEqual(
        page.items.map(({ seq: _seq, ...rest }) => rest),
        [...entries].reverse(),
      );
      const seqs = page.items.map((r) => r.seq);
      for (const seq of seqs) assert.ok(Number.isInteger(seq), `seq ${seq} is an integer`);
      assert.ok((seqs[0] as number) > (seqs[1] as number) && (seqs[1] as number) > (seqs[2] as number));
    });

    test('pages continue below the seq of the last item', async () => {
      for (let n = 1; n <= 5; n++) await s.append(entry(n));
      const pages: (string | null)[][] = [];
      let after: string | undefined;
      for (;;) {
        const page = await s.list('acme', { limit: 2, after });
        pages.push(page.items.map((r) => r.resourceId));
        if (page.nextAfter === undefined) break;
        assert.equal(page.nextAfter, String(page.items[page.items.length - 1]?.seq));
        after = page.nextAfter;
        assert.ok(pages.length < 10, 'pagination does not end');
      }
      assert.deepEqual(pages, [['d5', 'd4'], ['d3', 'd2'], ['d1']]);
      const exact = await s.list('acme', { limit: 5 });
      assert.equal(exact.items.length, 5);
      assert.equal(exact.nextAfter, undefined, 'no nextAfter when nothing follows');
    });

    test('filters by action, actor, resource and resourceId, combined', async () => {
      await s.append(entry(1));
      await s.append(entry(2, { action: 'device.delete', status: 204 }));
      await s.append(
        entry(3, { actor: 'user:bob', resource: 'group', resourceId: 'g1', action: 'group.create' }),
      );
      await s.append(entry(4, { actor: 'user:bob', resourceId: 'd1', action: 'device.delete' }));
      assert.deepEqual(await rids({ action: 'device.delete' }), ['d1', 'd2']);
      assert.deepEqual(await rids({ action: 'device' }), [], 'action matches exactly');
      assert.deepEqual(await rids({ actor: 'user:bob' }), ['d1', 'g1']);
      assert.deepEqual(await rids({ resource: 'group' }), ['g1']);
      assert.deepEqual(await rids({ resourceId: 'd1' }), ['d1', 'd1']);
      assert.deepEqual(await rids({ resourceId: 'd1', actor: 'user:bob', action: 'device.delete' }), ['d1']);
      assert.deepEqual(await rids({ resource: 'group', action: 'device.delete' }), []);
    });

    test('filters by time: from is inclusive, to bounds the range above', async () => {
      for (let n = 1; n <= 5; n++) await s.append(entry(n));
      assert.deepEqual(await rids({ from: at(2) }), ['d5', 'd4', 'd3', 'd2']);
      assert.deepEqual(await rids({ to: '2024-05-01T00:03:30.000Z' }), ['d3', 'd2', 'd1']);
      assert.deepEqual(await rids({ from: at(2), to: '2024-05-01T00:03:30.000Z' }), ['d3', 'd2']);
      assert.deepEqual(await rids({ from: '2024-06-01T00:00:00.000Z' }), []);
      const page = await s.list('acme', { limit: 1, from: at(2) });
      assert.deepEqual(
        (await s.list('acme', { limit: 10, from: at(2), after: page.nextAfter })).items.map(
          (r) => r.resourceId,
        ),
        ['d4', 'd3', 'd2'],
      );
    });

    test('tenants see only their own trail', async () => {
      await s.append(entry(1));
      await s.append(entry(2, { tenant: 'globex' }));
      await s.append(entry(3));
      assert.deepEqual(await rids({}), ['d3', 'd1']);
      const globex = await s.list('globex', { limit: 10 });
      assert.deepEqual(
        globex.items.map((r) => [r.tenant, r.resourceId]),
        [['globex', 'd2']],
      );
      assert.deepEqual(await rids({}, 'initech'), []);
    });

    test('details round-trip as an object or null', async () => {
      const details = { body: { name: 'x', password: '[redacted]' }, n: 3.5, list: ['a', { b: false }] };
      await s.append(entry(1, { details }));
      await s.append(entry(2, { details: null }));
      await s.append(entry(3, { details: {} }));
      const items = (await s.list('acme', { limit: 10 })).items;
      assert.deepEqual(
        items.map((r) => r.details),
        [{}, null, details],
      );
    });

    test('deleteTenant removes only that tenant records', async () => {
      await s.append(entry(1));
      await s.append(entry(2, { tenant: 'globex' }));
      await s.append(entry(3));
      await s.deleteTenant('acme');
      assert.deepEqual(await rids({}), []);
      assert.deepEqual(await rids({}, 'globex'), ['d2']);
      await s.append(entry(4));
      assert.deepEqual(await rids({}), ['d4']);
    });
  });
}
