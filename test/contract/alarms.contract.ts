import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import type { Alarm } from '../../src/alarms/model.js';
import type { AlarmRaise, Stores } from '../../src/store/index.js';
import { type ControlContractOptions, type ControlStores, contractSuite } from './twin.contract.js';

const T0 = Date.UTC(2025, 0, 1);

const raise = (n: number, over: Partial<AlarmRaise> = {}): AlarmRaise => ({
  tenant: 'acme',
  device: 'd1',
  rule: 'hot',
  type: 'overheat',
  severity: 'major',
  message: `too hot (${n})`,
  dedupKey: 'hot/d1/overheat',
  details: { version: 1, key: 'temp', value: 30 + n },
  at: T0 + n * 1000,
  ...over,
});

export function runAlarmContract(opts: ControlContractOptions): void {
  contractSuite('AlarmStore', opts, () => {
    let ctx: { stores: ControlStores; close(): Promise<void> };
    let s: Stores['alarms'];
    beforeEach(async () => {
      ctx = await opts.create();
      s = ctx.stores.alarms;
    });
    afterEach(() => ctx.close());

    const ids = async (q: Parameters<Stores['alarms']['list']>[1], tenant = 'acme') =>
      (await s.list(tenant, q)).items.map((a) => a.id);

    test('a first raise inserts an active alarm; repeats update the open one', async () => {
      const first = await s.raise('a1', raise(1));
      const expected: Alarm = {
        id: 'a1',
        tenant: 'acme',
        device: 'd1',
        rule: 'hot',
        type: 'overheat',
        severity: 'major',
        status: 'active',
        message: 'too hot (1)',
        details: { version: 1, key: 'temp', value: 31 },
        raisedAt: T0 + 1000,
        lastAt: T0 + 1000,
        count: 1,
      };
      assert.deepEqual(first, { alarm: expected, created: true });
      assert.deepEqual(await s.get('acme', 'a1'), expected);
      assert.equal(await s.get('other', 'a1'), undefined);

      const again = await s.raise('a2', raise(3, { severity: 'critical' }));
      assert.deepEqual(again, {
        alarm: {
          ...expected,
          severity: 'critical',
          message: 'too hot (3)',
          details: raise(3).details,
          lastAt: T0 + 3000,
          count: 2,
        },
        created: false,
      });
      // An older firing (a replayed backlog) keeps lastAt; one without details keeps the details.
      const { details: _d, ...plain } = raise(2);
      const late = await s.raise('a3', { ...plain, severity: 'minor' });
      assert.deepEqual(late.alarm, { ...again.alarm, severity: 'minor', message: 'too hot (2)', count: 3 });
      assert.equal(await s.get('acme', 'a2'), undefined, 'no new alarm for a repeat');
    });

    test('an alarm raised without rule nor details has neither', async () => {
      const { rule: _r, details: _d, ...bare } = raise(1);
      const { alarm } = await s.raise('a1', bare);
      assert.equal('rule' in alarm, false);
      assert.equal('details' in alarm, false);
      assert.deepEqual(await s.get('acme', 'a1'), alarm);
    });

    test('an acknowledged alarm stays acknowledged on repeat; once cleared the next raise opens a new one', async () => {
      await s.raise('a1', raise(1));
      await s.acknowledge('acme', 'a1', { at: T0 + 5000, by: 'user:alice' });
      const repeat = await s.raise('a2', raise(6));
      assert.equal(repeat.created, false);
      assert.deepEqual(
        [repeat.alarm.id, repeat.alarm.status, repeat.alarm.count, repeat.alarm.acknowledgedBy],
        ['a1', 'acknowledged', 2, 'user:alice'],
      );
      await s.clear('acme', 'a1', { at: T0 + 7000, by: 'user:bob' });
      const fresh = await s.raise('a3', raise(8));
      assert.deepEqual(
        [fresh.created, fresh.alarm.id, fresh.alarm.count, fresh.alarm.status],
        [true, 'a3', 1, 'active'],
      );
      assert.deepEqual(await ids({ limit: 10 }), ['a3', 'a1']);
      // Another tenant's alarm with the same key is its own.
      assert.equal((await s.raise('x1', raise(1, { tenant: 'other' }))).created, true);
    });

    test('concurrent raises with one dedup key leave one open alarm counting them all', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => s.raise(`a${i}`, raise(i))));
      assert.equal(results.filter((r) => r.created).length, 1);
      const open = (await s.list('acme', { limit: 20, status: 'open' })).items;
      assert.equal(open.length, 1);
      assert.equal(open[0]?.count, 10);
      assert.equal(open[0]?.lastAt, T0 + 9000);
      assert.equal(open[0]?.id, results.find((r) => r.created)?.alarm.id);
      assert.deepEqual(new Set(results.map((r) => r.alarm.id)), new Set([open[0]?.id]));
    });

    test('acknowledge and clear are compare-and-set on the status left, with their note written alongside', async () => {
      await s.raise('a1', raise(1));
      const ack = await s.acknowledge('acme', 'a1', { at: T0 + 2000, by: 'user:alice', comment: 'on it' });
      assert.deepEqual(
        [ack?.status, ack?.acknowledgedAt, ack?.acknowledgedBy, ack?.clearedAt],
        ['acknowledged', T0 + 2000, 'user:alice', undefined],
      );
      assert.equal(
        await s.acknowledge('acme', 'a1', { at: T0 + 3000, by: 'user:bob', comment: 'me too' }),
        undefined,
      );
      assert.equal(await s.acknowledge('other', 'a1', { at: T0 + 3000, by: 'user:bob' }), undefined);
      const cleared = await s.clear('acme', 'a1', { at: T0 + 4000, by: 'user:bob', comment: 'fixed' });
      assert.deepEqual(
        [cleared?.status, cleared?.acknowledgedBy, cleared?.clearedAt, cleared?.clearedBy],
        ['cleared', 'user:alice', T0 + 4000, 'user:bob'],
      );
      assert.equal(
        await s.clear('acme', 'a1', { at: T0 + 5000, by: 'user:carol', comment: 'again' }),
        undefined,
      );
      assert.equal(await s.acknowledge('acme', 'a1', { at: T0 + 5000, by: 'user:carol' }), undefined);
      assert.deepEqual(await s.get('acme', 'a1'), cleared);
      assert.deepEqual(await s.comments('acme', 'a1'), [
        { at: T0 + 2000, author: 'user:alice', text: 'on it' },
        { at: T0 + 4000, author: 'user:bob', text: 'fixed' },
      ]);
      // An active alarm clears directly.
      await s.raise('a2', raise(6));
      assert.equal((await s.clear('acme', 'a2', { at: T0 + 9000, by: 'rule:hot' }))?.status, 'cleared');
      assert.deepEqual(await s.comments('acme', 'a2'), []);
    });

    test('of concurrent acknowledgements exactly one succeeds', async () => {
      await s.raise('a1', raise(1));
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          s.acknowledge('acme', 'a1', { at: T0 + i, by: `user:u${i}`, comment: `c${i}` }),
        ),
      );
      const won = results.filter((r) => r !== undefined);
      assert.equal(won.length, 1);
      assert.deepEqual(
        (await s.comments('acme', 'a1')).map((c) => c.author),
        [won[0]?.acknowledgedBy],
      );
    });

    test('clearOpen clears the open alarm of a dedup key, if there is one', async () => {
      assert.equal(await s.clearOpen('acme', 'hot/d1/overheat', { at: T0, by: 'rule:hot' }), undefined);
      await s.raise('a1', raise(1));
      await s.raise('b1', raise(1, { dedupKey: 'cold/d1/freeze', type: 'freeze' }));
      const cleared = await s.clearOpen('acme', 'hot/d1/overheat', { at: T0 + 5000, by: 'rule:hot' });
      assert.deepEqual([cleared?.id, cleared?.status, cleared?.clearedBy], ['a1', 'cleared', 'rule:hot']);
      assert.equal(
        await s.clearOpen('acme', 'hot/d1/overheat', { at: T0 + 6000, by: 'rule:hot' }),
        undefined,
      );
      assert.equal(
        await s.clearOpen('other', 'cold/d1/freeze', { at: T0 + 6000, by: 'rule:cold' }),
        undefined,
      );
      assert.equal((await s.get('acme', 'b1'))?.status, 'active');
    });

    test('comments list oldest first per tenant and alarm', async () => {
      await s.raise('a1', raise(1));
      await s.comment('acme', 'a1', { at: T0 + 9, author: 'user:alice', text: 'first' });
      await s.comment('acme', 'a1', { at: T0 + 1, author: 'user:bob', text: 'second, earlier clock' });
      await s.comment('other', 'a1', { at: T0, author: 'user:eve', text: 'elsewhere' });
      assert.deepEqual(await s.comments('acme', 'a1'), [
        { at: T0 + 9, author: 'user:alice', text: 'first' },
        { at: T0 + 1, author: 'user:bob', text: 'second, earlier clock' },
      ]);
      assert.deepEqual(await s.comments('acme', 'nope'), []);
    });

    test('list is newest first, pages below the last key and filters', async () => {
      await s.raise('a1', raise(1));
      await s.raise('a2', raise(2, { device: 'd2', dedupKey: 'k2', severity: 'minor' }));
      await s.raise('a3', raise(3, { device: 'd2', dedupKey: 'k3', type: 'freeze', rule: 'cold' }));
      await s.raise('a4', raise(4, { dedupKey: 'k4', severity: 'critical' }));
      await s.raise('a5', raise(5, { dedupKey: 'k5' }));
      await s.raise('x1', raise(1, { tenant: 'other' }));
      await s.acknowledge('acme', 'a2', { at: T0, by: 'u' });
      await s.clear('acme', 'a4', { at: T0, by: 'u' });
      assert.deepEqual(await ids({ limit: 10 }), ['a5', 'a4', 'a3', 'a2', 'a1']);
      const pages: string[][] = [];
      let after: string | undefined;
      do {
        const page = await s.list('acme', { limit: 2, after });
        pages.push(page.items.map((a) => a.id));
        after = page.nextAfter;
      } while (after !== undefined && pages.length < 10);
      assert.deepEqual(pages, [['a5', 'a4'], ['a3', 'a2'], ['a1']]);
      assert.deepEqual(await ids({ limit: 10, status: 'open' }), ['a5', 'a3', 'a2', 'a1']);
      assert.deepEqual(await ids({ limit: 10, status: 'active' }), ['a5', 'a3', 'a1']);
      assert.deepEqual(await ids({ limit: 10, status: 'cleared' }), ['a4']);
      assert.deepEqual(await ids({ limit: 10, severity: 'major' }), ['a5', 'a3', 'a1']);
      assert.deepEqual(await ids({ limit: 10, device: 'd2' }), ['a3', 'a2']);
      assert.deepEqual(await ids({ limit: 10, type: 'freeze' }), ['a3']);
      assert.deepEqual(await ids({ limit: 10, rule: 'hot', status: 'open', device: 'd1' }), ['a5', 'a1']);
      assert.deepEqual(await ids({ limit: 10, status: 'open', after: 'not-a-seq' }), []);
      assert.deepEqual(await ids({ limit: 10 }, 'other'), ['x1']);
    });

    test('counts: open alarms per severity and devices, every status, for the tenant or one device', async () => {
      await s.raise('a1', raise(1));
      await s.raise('a1', raise(1)); // a repeat is one alarm
      await s.raise('a2', raise(2, { device: 'd2', dedupKey: 'k2', severity: 'minor' }));
      await s.raise('a3', raise(3, { device: 'd2', dedupKey: 'k3', severity: 'critical' }));
      await s.raise('a4', raise(4, { device: 'd3', dedupKey: 'k4' }));
      await s.raise('x1', raise(1, { tenant: 'other' }));
      await s.acknowledge('acme', 'a2', { at: T0, by: 'u' });
      await s.clear('acme', 'a4', { at: T0, by: 'u' });
      const zero = { critical: 0, major: 0, minor: 0, warning: 0, info: 0 };
      assert.deepEqual(await s.counts('acme'), {
        total: 3,
        devices: 2,
        bySeverity: { ...zero, critical: 1, major: 1, minor: 1 },
        byStatus: { active: 2, acknowledged: 1, cleared: 1 },
      });
      assert.deepEqual(await s.counts('acme', 'd2'), {
        total: 2,
        devices: 1,
        bySeverity: { ...zero, critical: 1, minor: 1 },
        byStatus: { active: 1, acknowledged: 1, cleared: 0 },
      });
      assert.deepEqual(await s.counts('acme', 'd3'), {
        total: 0,
        devices: 0,
        bySeverity: zero,
        byStatus: { active: 0, acknowledged: 0, cleared: 1 },
      });
      assert.deepEqual(await s.counts('empty'), {
        total: 0,
        devices: 0,
        bySeverity: zero,
        byStatus: { active: 0, acknowledged: 0, cleared: 0 },
      });
    });

    test('delete removes one device alarms and their comments, or the whole tenant', async () => {
      await s.raise('a1', raise(1));
      await s.raise('a2', raise(2, { device: 'd2', dedupKey: 'k2' }));
      await s.raise('x1', raise(1, { tenant: 'other' }));
      for (const [tenant, id] of [
        ['acme', 'a1'],
        ['acme', 'a2'],
        ['other', 'x1'],
      ] as const)
        await s.comment(tenant, id, { at: T0, author: 'u', text: `about ${id}` });
      await s.delete('acme', 'd1');
      assert.equal(await s.get('acme', 'a1'), undefined);
      assert.deepEqual(await s.comments('acme', 'a1'), []);
      assert.equal((await s.comments('acme', 'a2')).length, 1);
      // The device's key is free again: a new raise opens a new alarm.
      assert.equal((await s.raise('a3', raise(3))).created, true);
      await s.delete('acme');
      assert.deepEqual(await ids({ limit: 10 }), []);
      assert.deepEqual(await s.comments('acme', 'a2'), []);
      assert.deepEqual(await ids({ limit: 10 }, 'other'), ['x1']);
      assert.equal((await s.comments('other', 'x1')).length, 1);
    });
  });
}
