import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import type { Command, CommandStatus } from '../../src/commands/model.js';
import type { CommandBatch, Stores } from '../../src/store/index.js';
import { type ControlContractOptions, type ControlStores, contractSuite } from './twin.contract.js';

const T0 = Date.UTC(2025, 0, 1);

/** A queued command created `n` seconds after T0, with a 60 s ttl and a 30 s timeout. */
const cmd = (id: string, n: number, over: Partial<Command> = {}): Command => ({
  id,
  tenant: 'acme',
  device: 'd1',
  name: 'reboot',
  params: { delay: n, nested: { list: [1, 'two', null] } },
  oneWay: false,
  status: 'queued',
  createdAt: T0 + n * 1000,
  expiresAt: T0 + n * 1000 + 60_000,
  timeoutMs: 30_000,
  actor: 'user:alice',
  ...over,
});

const batch = (id: string, total: number): CommandBatch => ({
  id,
  tenant: 'acme',
  name: 'reboot',
  target: { group: 'floor-1', labels: { site: 'north' } },
  total,
  createdAt: T0,
  actor: 'user:alice',
});

export function runCommandContract(opts: ControlContractOptions): void {
  contractSuite('CommandStore', opts, () => {
    let ctx: { stores: ControlStores; close(): Promise<void> };
    let s: Stores['commands'];
    beforeEach(async () => {
      ctx = await opts.create();
      s = ctx.stores.commands;
    });
    afterEach(() => ctx.close());

    const ids = (cs: readonly Command[]) => cs.map((c) => c.id);
    const listIds = async (q: Parameters<Stores['commands']['list']>[1], tenant = 'acme') =>
      ids((await s.list(tenant, q)).items);

    test('a command reads back exactly as inserted, optional fields absent; per tenant', async () => {
      const c = cmd('c1', 1);
      await s.insert([c]);
      assert.deepEqual(await s.get('acme', 'c1'), c);
      assert.equal(await s.get('other', 'c1'), undefined);
      assert.equal(await s.get('acme', 'nope'), undefined);
      await s.insert([cmd('c2', 2, { oneWay: true, params: {} })]);
      assert.equal((await s.get('acme', 'c2'))?.oneWay, true);
    });

    test('a group send stores its batch with the commands; counts per status', async () => {
      const b = batch('b1', 3);
      await s.insert(
        ['c1', 'c2', 'c3'].map((id, i) => cmd(id, i, { device: `d${i}`, batch: 'b1' })),
        b,
      );
      assert.deepEqual(await s.getBatch('acme', 'b1'), b);
      assert.equal(await s.getBatch('other', 'b1'), undefined);
      await s.transition('acme', 'c1', ['queued'], 'sent', { sentAt: T0 + 5000 });
      assert.deepEqual(await s.batchCounts('acme', 'b1'), { queued: 2, sent: 1 });
      assert.deepEqual(await s.batchCounts('acme', 'none'), {});
      assert.deepEqual(await listIds({ limit: 10, batch: 'b1' }), ['c3', 'c2', 'c1']);
    });

    test('a failed insert stores neither the batch nor any command', async () => {
      await s.insert([cmd('c1', 1)]);
      await assert.rejects(s.insert([cmd('c2', 2), cmd('c1', 3)], batch('b1', 2)));
      assert.equal(await s.getBatch('acme', 'b1'), undefined);
      assert.equal(await s.get('acme', 'c2'), undefined);
      assert.deepEqual(await listIds({ limit: 10 }), ['c1']);
    });

    test('list is newest first (insertion order), pages below the last key, filters combine', async () => {
      // Inserted in one call with createdAt not in order: the order is that of insertion.
      await s.insert([
        cmd('c1', 5, { device: 'd1' }),
        cmd('c2', 1, { device: 'd2' }),
        cmd('c3', 3, { device: 'd1' }),
        cmd('c4', 2, { device: 'd2' }),
      ]);
      await s.insert([cmd('c5', 0, { device: 'd1' }), cmd('x1', 0, { tenant: 'other' })]);
      await s.transition('acme', 'c3', ['queued'], 'sent', { sentAt: T0 });
      assert.deepEqual(await listIds({ limit: 10 }), ['c5', 'c4', 'c3', 'c2', 'c1']);
      const pages: string[][] = [];
      let after: string | undefined;
      do {
        const page = await s.list('acme', { limit: 2, after });
        pages.push(ids(page.items));
        after = page.nextAfter;
      } while (after !== undefined && pages.length < 10);
      assert.deepEqual(pages, [['c5', 'c4'], ['c3', 'c2'], ['c1']]);
      assert.equal((await s.list('acme', { limit: 5 })).nextAfter, undefined, 'nothing follows');
      assert.deepEqual(await listIds({ limit: 10, device: 'd1' }), ['c5', 'c3', 'c1']);
      assert.deepEqual(await listIds({ limit: 10, device: 'd1', status: 'queued' }), ['c5', 'c1']);
      assert.deepEqual(await listIds({ limit: 10, status: 'sent' }), ['c3']);
      assert.deepEqual(await listIds({ limit: 10 }, 'other'), ['x1']);
    });

    test('a cursor that is no key of ours pages to nothing instead of failing', async () => {
      await s.insert([cmd('c1', 1), cmd('c2', 2)]);
      assert.deepEqual(await s.list('acme', { limit: 10, after: 'not-a-seq' }), { items: [] });
      assert.deepEqual(await listIds({ limit: 10, after: '1e300' }), ['c2', 'c1']);
    });

    test('queued gives one device its queued commands oldest first, up to the limit', async () => {
      await s.insert([cmd('c1', 1), cmd('c2', 2), cmd('c3', 3, { device: 'd2' })]);
      await s.insert([cmd('c4', 4), cmd('c5', 5)]);
      await s.transition('acme', 'c2', ['queued'], 'sent', { sentAt: T0 });
      assert.deepEqual(ids(await s.queued('acme', 'd1', 10)), ['c1', 'c4', 'c5']);
      assert.deepEqual(ids(await s.queued('acme', 'd1', 2)), ['c1', 'c4']);
      assert.deepEqual(ids(await s.queued('other', 'd1', 10)), []);
    });

    test('transition is a compare-and-set on the status it leaves and keeps earlier fields', async () => {
      await s.insert([cmd('c1', 1)]);
      const sent = await s.transition('acme', 'c1', ['queued'], 'sent', { sentAt: T0 + 1 });
      assert.deepEqual(sent, { ...cmd('c1', 1), status: 'sent', sentAt: T0 + 1 });
      assert.equal(await s.transition('acme', 'c1', ['queued'], 'sent', { sentAt: T0 + 2 }), undefined);
      assert.equal(await s.transition('other', 'c1', ['sent'], 'delivered'), undefined, 'per tenant');
      const delivered = await s.transition('acme', 'c1', ['sent'], 'delivered', { deliveredAt: T0 + 3 });
      assert.equal(delivered?.sentAt, T0 + 1, 'sentAt kept');
      const done = await s.transition('acme', 'c1', ['sent', 'delivered'], 'succeeded', {
        completedAt: T0 + 4,
        result: { temp: 21.5, list: [1, null], text: 'ok' },
      });
      assert.deepEqual(done, {
        ...cmd('c1', 1),
        status: 'succeeded',
        sentAt: T0 + 1,
        deliveredAt: T0 + 3,
        completedAt: T0 + 4,
        result: { temp: 21.5, list: [1, null], text: 'ok' },
      });
      // A late answer cannot revive a finished command.
      assert.equal(
        await s.transition('acme', 'c1', ['queued', 'sent', 'delivered'], 'failed', { error: 'x' }),
        undefined,
      );
      assert.deepEqual(await s.get('acme', 'c1'), done);
      await s.insert([cmd('c2', 2)]);
      const failed = await s.transition('acme', 'c2', ['queued'], 'cancelled', {
        completedAt: T0,
        error: 'by operator',
      });
      assert.equal(failed?.error, 'by operator');
    });

    test('of concurrent transitions out of one status exactly one wins', async () => {
      await s.insert([cmd('c1', 1)]);
      const to: CommandStatus[] = [
        'sent',
        'cancelled',
        'expired',
        'sent',
        'cancelled',
        'sent',
        'expired',
        'sent',
      ];
      const results = await Promise.all(
        to.map((status, i) => s.transition('acme', 'c1', ['queued'], status, { completedAt: T0 + i })),
      );
      const won = results.filter((r) => r !== undefined);
      assert.equal(won.length, 1);
      assert.deepEqual(await s.get('acme', 'c1'), won[0]);
    });

    test('sweep expires queued commands past their ttl and times out unanswered ones, once', async () => {
      await s.insert([
        cmd('fresh', 0, { expiresAt: T0 + 100_000 }),
        cmd('stale', 0, { expiresAt: T0 + 10_000 }),
        cmd('edge', 0, { expiresAt: T0 + 50_000 }),
        cmd('sent-late', 0),
        cmd('sent-fresh', 0),
        cmd('delivered-late', 0),
        cmd('oneway-delivered', 0, { oneWay: true }),
        cmd('oneway-sent', 0, { oneWay: true }),
        cmd('done', 0),
      ]);
      await s.transition('acme', 'sent-late', ['queued'], 'sent', { sentAt: T0 + 10_000 });
      await s.transition('acme', 'sent-fresh', ['queued'], 'sent', { sentAt: T0 + 30_000 });
      await s.transition('acme', 'delivered-late', ['queued'], 'sent', { sentAt: T0 + 20_000 });
      await s.transition('acme', 'delivered-late', ['sent'], 'delivered', { deliveredAt: T0 + 21_000 });
      await s.transition('acme', 'oneway-delivered', ['queued'], 'sent', { sentAt: T0 });
      await s.transition('acme', 'oneway-delivered', ['sent'], 'delivered', { deliveredAt: T0 });
      await s.transition('acme', 'oneway-sent', ['queued'], 'sent', { sentAt: T0 });
      await s.transition('acme', 'done', ['queued'], 'sent', { sentAt: T0 });
      await s.transition('acme', 'done', ['sent'], 'succeeded', { completedAt: T0 + 1 });

      const now = T0 + 50_000;
      const changed = await s.sweep(now);
      const byId = new Map(changed.map((c) => [c.id, c]));
      assert.deepEqual([...byId.keys()].sort(), [
        'delivered-late',
        'edge',
        'oneway-sent',
        'sent-late',
        'stale',
      ]);
      for (const id of ['stale', 'edge']) {
        assert.equal(byId.get(id)?.status, 'expired');
        assert.equal(byId.get(id)?.completedAt, now);
        assert.equal(byId.get(id)?.error, 'not delivered within its time-to-live');
        assert.deepEqual(await s.get('acme', id), byId.get(id));
      }
      for (const id of ['sent-late', 'delivered-late', 'oneway-sent']) {
        assert.equal(byId.get(id)?.status, 'timed_out');
        assert.equal(byId.get(id)?.error, 'no answer within its timeout');
      }
      assert.equal(byId.get('sent-late')?.sentAt, T0 + 10_000);
      assert.equal((await s.get('acme', 'oneway-delivered'))?.status, 'delivered');
      assert.equal((await s.get('acme', 'sent-fresh'))?.status, 'sent');
      assert.equal((await s.get('acme', 'fresh'))?.status, 'queued');
      assert.deepEqual(await s.sweep(now), [], 'nothing changes twice');
    });

    test('concurrent sweeps report each change once', async () => {
      await s.insert(Array.from({ length: 20 }, (_, i) => cmd(`c${i}`, 0, { expiresAt: T0 + i })));
      const runs = await Promise.all([s.sweep(T0 + 100), s.sweep(T0 + 100), s.sweep(T0 + 100)]);
      const all = runs.flat().map((c) => c.id);
      assert.equal(all.length, 20);
      assert.equal(new Set(all).size, 20);
    });

    test('delete removes one device commands, or the tenant commands and batches', async () => {
      await s.insert(
        [cmd('c1', 1, { batch: 'b1' }), cmd('c2', 2, { device: 'd2', batch: 'b1' })],
        batch('b1', 2),
      );
      await s.insert([cmd('x1', 1, { tenant: 'other' })], { ...batch('bx', 1), tenant: 'other' });
      await s.delete('acme', 'd1');
      assert.deepEqual(await listIds({ limit: 10 }), ['c2']);
      assert.deepEqual(await s.batchCounts('acme', 'b1'), { queued: 1 });
      assert.ok(await s.getBatch('acme', 'b1'), 'a device deletion keeps the batch');
      await s.delete('acme');
      assert.deepEqual(await listIds({ limit: 10 }), []);
      assert.equal(await s.getBatch('acme', 'b1'), undefined);
      assert.deepEqual(await listIds({ limit: 10 }, 'other'), ['x1']);
      assert.ok(await s.getBatch('other', 'bx'));
    });
  });
}
