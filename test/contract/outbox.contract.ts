import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import type { OutboxItem, Stores } from '../../src/store/index.js';
import { type ControlContractOptions, type ControlStores, contractSuite } from './twin.contract.js';

const T0 = Date.UTC(2025, 0, 1);

/** A pending item queued at T0 + n s and due then. */
const item = (id: string, n: number, over: Partial<OutboxItem> = {}): OutboxItem => ({
  id,
  tenant: 'acme',
  rule: 'hot',
  device: 'd1',
  kind: 'webhook',
  action: {
    type: 'webhook',
    url: 'https://example.com/h',
    body: { value: n, list: [1, null, 'x'] },
    headers: {},
  },
  status: 'pending',
  attempts: 0,
  createdAt: T0 + n * 1000,
  nextAt: T0 + n * 1000,
  ...over,
});

export function runOutboxContract(opts: ControlContractOptions): void {
  contractSuite('OutboxStore', opts, () => {
    let ctx: { stores: ControlStores; close(): Promise<void> };
    let s: Stores['outbox'];
    beforeEach(async () => {
      ctx = await opts.create();
      s = ctx.stores.outbox;
    });
    afterEach(() => ctx.close());

    const dueIds = async (now: number, limit = 100) => (await s.due(now, limit)).map((i) => i.id);
    const listIds = async (q: Parameters<Stores['outbox']['list']>[1], tenant = 'acme') =>
      (await s.list(tenant, q)).map((i) => i.id);

    test('due gives pending items due by now, by next attempt then queue order, up to the limit', async () => {
      await s.add([]);
      await s.add([item('i1', 5), item('i2', 1), item('i3', 3, { nextAt: T0 + 1000 }), item('i4', 9)]);
      await s.add([
        item('x1', 2, { tenant: 'other', kind: 'command', action: { type: 'command', name: 'reboot' } }),
      ]);
      const due = await s.due(T0 + 5000, 100);
      assert.deepEqual(
        due.map((i) => i.id),
        ['i2', 'i3', 'x1', 'i1'],
      );
      assert.deepEqual(due[0], item('i2', 1), 'every field intact, optional ones absent');
      assert.deepEqual(due[2]?.action, { type: 'command', name: 'reboot' });
      assert.deepEqual(await dueIds(T0 + 5000, 2), ['i2', 'i3']);
      assert.deepEqual(await dueIds(T0), []);
      assert.deepEqual(
        await dueIds(T0 + 5000),
        ['i2', 'i3', 'x1', 'i1'],
        'due() reads: what was not done stays due',
      );
    });

    test('done ends an item; failed retries it later or fails it for good', async () => {
      await s.add([item('i1', 0), item('i2', 0), item('i3', 0)]);
      await s.done('i1', T0 + 100);
      await s.failed('i2', 'POST https://example.com/h answered 503', T0 + 60_000);
      await s.failed('i3', 'answered 404 (not retried)', undefined);
      assert.deepEqual(await dueIds(T0 + 59_999), []);
      const [retry] = await s.due(T0 + 60_000, 10);
      assert.deepEqual(retry, {
        ...item('i2', 0),
        attempts: 1,
        nextAt: T0 + 60_000,
        lastError: 'POST https://example.com/h answered 503',
      });
      await s.failed('i2', 'answered 502', T0 + 120_000);
      await s.done('i2', T0 + 130_000);
      const byId = new Map((await s.list('acme', { limit: 10 })).map((i) => [i.id, i]));
      assert.deepEqual(byId.get('i1'), { ...item('i1', 0), status: 'done', attempts: 1, doneAt: T0 + 100 });
      assert.deepEqual(byId.get('i2'), {
        ...item('i2', 0),
        status: 'done',
        attempts: 3,
        nextAt: T0 + 120_000,
        doneAt: T0 + 130_000,
      });
      assert.deepEqual(byId.get('i3'), {
        ...item('i3', 0),
        status: 'failed',
        attempts: 1,
        lastError: 'answered 404 (not retried)',
      });
      assert.deepEqual(await dueIds(T0 + 10_000_000), []);
    });

    test('list is newest first per tenant, filtered by status and rule, up to the limit', async () => {
      await s.add([item('i1', 1), item('i2', 2, { rule: 'cold' }), item('i3', 3)]);
      await s.add([item('i4', 4, { rule: 'cold' }), item('x1', 5, { tenant: 'other' })]);
      await s.done('i3', T0);
      assert.deepEqual(await listIds({ limit: 10 }), ['i4', 'i3', 'i2', 'i1']);
      assert.deepEqual(await listIds({ limit: 2 }), ['i4', 'i3']);
      assert.deepEqual(await listIds({ limit: 10, status: 'pending' }), ['i4', 'i2', 'i1']);
      assert.deepEqual(await listIds({ limit: 10, rule: 'cold' }), ['i4', 'i2']);
      assert.deepEqual(await listIds({ limit: 10, rule: 'hot', status: 'done' }), ['i3']);
      assert.deepEqual(await listIds({ limit: 10 }, 'other'), ['x1']);
    });

    test('lastQueued is when the rule last queued actions for the device, whatever became of them', async () => {
      assert.equal(await s.lastQueued('acme', 'hot', 'd1'), undefined);
      await s.add([item('i1', 1), item('i2', 7), item('i3', 4)]);
      await s.add([
        item('i4', 9, { device: 'd2' }),
        item('i5', 10, { rule: 'cold' }),
        item('x1', 20, { tenant: 'other' }),
      ]);
      await s.done('i2', T0 + 8000);
      assert.equal(await s.lastQueued('acme', 'hot', 'd1'), T0 + 7000);
      assert.equal(await s.lastQueued('acme', 'hot', 'd2'), T0 + 9000);
      assert.equal(await s.lastQueued('acme', 'cold', 'd1'), T0 + 10_000);
      assert.equal(await s.lastQueued('other', 'hot', 'd2'), undefined);
    });

    test('done and failed resolve after due() answers read before them reach their caller', async () => {
      // The action service forgets an item once done()/failed() resolves and skips the items it runs
      // in each due() answer: an answer read before the write must not arrive after it.
      await s.add(Array.from({ length: 2000 }, (_, i) => item(`i${i}`, 0)));
      for (const write of [() => s.done('i0', T0), () => s.failed('i1', 'refused', T0 + 60_000)]) {
        let answered = false;
        const read = s.due(T0, 2000).then((items) => {
          answered = true;
          return items;
        });
        await write();
        assert.equal(answered, true, 'the earlier read reached its caller first');
        assert.ok((await read).length >= 1998);
      }
    });

    test('an add with a duplicate id stores none of its items', async () => {
      await s.add([item('i1', 1)]);
      await assert.rejects(s.add([item('i2', 2), item('i1', 3)]));
      assert.deepEqual(await listIds({ limit: 10 }), ['i1']);
    });
  });
}
