import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Stores } from '../../src/store/index.js';
import type { TwinDoc } from '../../src/twin/model.js';

/** The control plane's stores; a whole `Stores` fits too. */
export type ControlStores = Pick<Stores, 'twins' | 'commands' | 'rules' | 'ruleStates' | 'alarms' | 'outbox'>;

/** What each control-plane contract suite is given: a factory of fresh, empty stores. */
export interface ControlContractOptions {
  readonly name: string;
  readonly create: () => Promise<{ stores: ControlStores; close(): Promise<void> }>;
  readonly skip?: string;
}

/** `describe` with the suite's skip reason, if any. */
export function contractSuite(what: string, opts: ControlContractOptions, fn: () => void): void {
  describe(`${what} contract: ${opts.name}`, opts.skip === undefined ? {} : { skip: opts.skip }, fn);
}

/** A twin at `version` whose both sides carry `mark`, so a read-back shows which write won. */
const twin = (version: number, mark: string | number = version): TwinDoc => ({
  version,
  desired: {
    state: { mark, nested: { list: [1, 'two', null], flag: true } },
    version,
    updated: { mark: 1000 + version },
  },
  reported: { state: { seen: mark, text: 'Grüße "quoted" \\ \u0000 end' }, version: 1, updated: { seen: 7 } },
});

export function runTwinContract(opts: ControlContractOptions): void {
  contractSuite('TwinStore', opts, () => {
    let ctx: { stores: ControlStores; close(): Promise<void> };
    let s: Stores['twins'];
    beforeEach(async () => {
      ctx = await opts.create();
      s = ctx.stores.twins;
    });
    afterEach(() => ctx.close());

    test('a device without a twin reads as undefined; a first put (expected 0) stores every field', async () => {
      assert.equal(await s.get('acme', 'd1'), undefined);
      assert.equal(await s.put('acme', 'd1', twin(1), 0), true);
      assert.deepEqual(await s.get('acme', 'd1'), twin(1));
      assert.equal(await s.get('other', 'd1'), undefined, 'twins are per tenant');
    });

    test('a put succeeds only on the expected version; a stale one changes nothing', async () => {
      assert.equal(await s.put('acme', 'd1', twin(1), 0), true);
      assert.equal(await s.put('acme', 'd1', twin(1, 'again'), 0), false, 'the twin exists already');
      assert.equal(await s.put('acme', 'd1', twin(2), 1), true);
      assert.equal(await s.put('acme', 'd1', twin(3, 'stale'), 1), false);
      assert.equal(await s.put('acme', 'd1', twin(3, 'ahead'), 5), false);
      assert.equal(await s.put('acme', 'ghost', twin(1), 1), false, 'no twin to update');
      assert.equal(await s.get('acme', 'ghost'), undefined);
      assert.deepEqual(await s.get('acme', 'd1'), twin(2));
    });

    test('of 10 concurrent conditional updates from one version exactly one wins', async () => {
      await s.put('acme', 'd1', twin(1), 0);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => s.put('acme', 'd1', twin(2, `writer-${i}`), 1)),
      );
      assert.equal(results.filter(Boolean).length, 1);
      const winner = results.indexOf(true);
      assert.deepEqual(await s.get('acme', 'd1'), twin(2, `writer-${winner}`));
    });

    test('of 10 concurrent first writes exactly one creates the twin', async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => s.put('acme', 'd1', twin(1, `creator-${i}`), 0)),
      );
      assert.equal(results.filter(Boolean).length, 1);
      assert.deepEqual(await s.get('acme', 'd1'), twin(1, `creator-${results.indexOf(true)}`));
    });

    test('read-modify-write retried on conflict loses no update among concurrent writers', async () => {
      // What the twin service does: read, apply, put on the read version, retry when beaten.
      const write = async (i: number) => {
        for (;;) {
          const cur = await s.get('acme', 'd1');
          const version = cur?.version ?? 0;
          const state = { ...(cur?.desired.state ?? {}), [`k${i}`]: i };
          const doc: TwinDoc = {
            version: version + 1,
            desired: { state, version: version + 1, updated: {} },
            reported: { state: {}, version: 0, updated: {} },
          };
          if (await s.put('acme', 'd1', doc, version)) return;
        }
      };
      await Promise.all(Array.from({ length: 12 }, (_, i) => write(i)));
      const final = await s.get('acme', 'd1');
      assert.equal(final?.version, 12);
      assert.deepEqual(
        final?.desired.state,
        Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, i])),
      );
    });

    test('delete removes one device twin or the whole tenant, nothing of other tenants', async () => {
      for (const [tenant, device] of [
        ['acme', 'd1'],
        ['acme', 'd2'],
        ['acme', 'd3'],
        ['other', 'd1'],
      ] as const)
        await s.put(tenant, device, twin(1, `${tenant}/${device}`), 0);
      await s.delete('acme', 'd1');
      assert.equal(await s.get('acme', 'd1'), undefined);
      assert.deepEqual(await s.get('acme', 'd2'), twin(1, 'acme/d2'));
      // A deleted device starts afresh: version 0 again.
      assert.equal(await s.put('acme', 'd1', twin(1, 'reborn'), 0), true);
      await s.delete('acme');
      for (const d of ['d1', 'd2', 'd3']) assert.equal(await s.get('acme', d), undefined);
      assert.deepEqual(await s.get('other', 'd1'), twin(1, 'other/d1'));
    });
  });
}
