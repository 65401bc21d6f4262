import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type {
  AggregateSource,
  Bucket,
  EventRow,
  PointRow,
  Scalar,
  StoredEvent,
  TelemetryStore,
  TelemetryWriter,
} from '../../src/store/index.js';

/** What the telemetry suite is given: a fresh, empty database's read and write sides. */
export interface TelemetryContractOptions {
  readonly name: string;
  readonly create: () => Promise<{ store: TelemetryStore; writer: TelemetryWriter; close(): Promise<void> }>;
  readonly skip?: string;
}

const SECOND = 1_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** A midnight (UTC), so hour and day buckets start on it. */
const T0 = Date.UTC(2024, 4, 1);
const FAR = T0 + 365 * DAY;

const pt = (device: string, key: string, ts: number, value: Scalar, tenant = 'acme'): PointRow => ({
  tenant,
  device,
  key,
  ts,
  value,
});
const ev = (
  device: string,
  ts: number,
  type: string,
  data: Record<string, unknown> = {},
  tenant = 'acme',
): EventRow => ({ tenant, device, ts, type, data });

/** A deterministic permutation (so writes arrive out of time order, the same way every run). */
function shuffled<T>(items: readonly T[], seed = 7): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/**
 * Buckets computed here, independently of any store: points (any order) of
 * one series → buckets of `interval` starting at multiples of it, oldest first.
 */
function expectedBuckets(points: readonly { ts: number; value: number }[], interval: number): Bucket[] {
  const sorted = [...points].sort((a, b) => a.ts - b.ts);
  const out: Bucket[] = [];
  for (const p of sorted) {
    const ts = Math.floor(p.ts / interval) * interval;
    const cur = out[out.length - 1];
    if (cur && cur.ts === ts) {
      out[out.length - 1] = {
        ts,
        count: cur.count + 1,
        min: Math.min(cur.min, p.value),
        max: Math.max(cur.max, p.value),
        sum: cur.sum + p.value,
        first: cur.first,
        last: p.value,
      };
    } else {
      out.push({ ts, count: 1, min: p.value, max: p.value, sum: p.value, first: p.value, last: p.value });
    }
  }
  return out;
}

/** Telemetry storage (points, rollups, latest values, events) on any backend. */
export function runTelemetryContract(opts: TelemetryContractOptions): void {
  describe(
    `telemetry store contract (${opts.name})`,
    opts.skip === undefined ? {} : { skip: opts.skip },
    () => {
      let store: TelemetryStore;
      let writer: TelemetryWriter;
      let close: () => Promise<void>;
      beforeEach(async () => {
        const created = await opts.create();
        store = created.store;
        writer = created.writer;
        close = created.close;
      });
      afterEach(() => close());

      const write = (points: readonly PointRow[], events: readonly EventRow[] = []) =>
        writer.write({ points, events });
      const raw = (
        device: string,
        key: string,
        q: { from?: number; to?: number; after?: number; limit?: number } = {},
        tenant = 'acme',
      ) =>
        store.raw({
          tenant,
          device,
          key,
          from: q.from ?? 0,
          to: q.to ?? FAR,
          limit: q.limit ?? 100_000,
          ...(q.after === undefined ? {} : { after: q.after }),
        });
      const tss = async (device: string, key: string, q: Parameters<typeof raw>[2] = {}, tenant = 'acme') =>
        (await raw(device, key, q, tenant)).map((r) => r.ts);
      const agg = (
        device: string,
        key: string,
        source: AggregateSource,
        interval: number,
        from = 0,
        to = FAR,
        tenant = 'acme',
      ) => store.aggregate({ tenant, device, key, from, to, interval, source });
      const events = (
        device: string,
        q: {
          from?: number;
          to?: number;
          type?: string;
          before?: { ts: number; id: number };
          limit?: number;
        } = {},
        tenant = 'acme',
      ) =>
        store.events({
          tenant,
          device,
          from: q.from ?? 0,
          to: q.to ?? FAR,
          limit: q.limit ?? 1000,
          ...(q.type === undefined ? {} : { type: q.type }),
          ...(q.before === undefined ? {} : { before: q.before }),
        });

      /** The paging cursor after a page of events: the (ts, id) of its last one. */
      const cursorOf = (page: StoredEvent[]) => {
        const last = page[page.length - 1];
        return last && { ts: last.ts, id: last.id };
      };

      test('raw points come back oldest first, bounds inclusive, paged with after and limit', async () => {
        const ten = Array.from({ length: 10 }, (_, i) => pt('d1', 'temp', T0 + i * SECOND, i));
        // Out of time order, with neighbours that must not leak in: another key, device and tenant.
        await write(shuffled(ten).slice(0, 6));
        await write([
          ...shuffled(ten).slice(6),
          pt('d1', 'hum', T0 + 3 * SECOND, 99),
          pt('d2', 'temp', T0 + 3 * SECOND, 98),
          pt('d1', 'temp', T0 + 3 * SECOND, 97, 'globex'),
        ]);

        assert.deepEqual(
          await raw('d1', 'temp'),
          ten.map((p) => ({ ts: p.ts, value: p.value })),
        );
        assert.deepEqual(await tss('d1', 'temp', { from: T0 + 2 * SECOND, to: T0 + 5 * SECOND }), [
          T0 + 2 * SECOND,
          T0 + 3 * SECOND,
          T0 + 4 * SECOND,
          T0 + 5 * SECOND,
        ]);
        assert.deepEqual(await tss('d1', 'temp', { from: T0 + 5 * SECOND, to: T0 + 5 * SECOND }), [
          T0 + 5 * SECOND,
        ]);
        assert.deepEqual(await tss('d1', 'temp', { from: T0 + 1, to: T0 + SECOND - 1 }), []);
        assert.deepEqual(await tss('d1', 'temp', { limit: 3 }), [T0, T0 + SECOND, T0 + 2 * SECOND]);
        assert.deepEqual(await tss('d1', 'temp', { after: T0 + 6 * SECOND }), [
          T0 + 7 * SECOND,
          T0 + 8 * SECOND,
          T0 + 9 * SECOND,
        ]);
        // `after` and `from` together: the later of the two wins.
        assert.deepEqual(await tss('d1', 'temp', { from: T0 + 8 * SECOND, after: T0 + 2 * SECOND }), [
          T0 + 8 * SECOND,
          T0 + 9 * SECOND,
        ]);
        assert.deepEqual(await tss('d1', 'temp', { to: T0 + 8 * SECOND, after: T0 + 6 * SECOND }), [
          T0 + 7 * SECOND,
          T0 + 8 * SECOND,
        ]);

        // Keyset paging: every point exactly once, in order.
        const pages: number[][] = [];
        let after: number | undefined;
        for (;;) {
          const page = await tss('d1', 'temp', { limit: 4, ...(after === undefined ? {} : { after }) });
          if (page.length === 0) break;
          pages.push(page);
          after = page[page.length - 1];
          assert.ok(pages.length < 10, 'paging does not end');
        }
        assert.deepEqual(
          pages.map((p) => p.length),
          [4, 4, 2],
        );
        assert.deepEqual(
          pages.flat(),
          ten.map((p) => p.ts),
        );

        assert.deepEqual(await raw('d1', 'hum'), [{ ts: T0 + 3 * SECOND, value: 99 }]);
        assert.deepEqual(await raw('d2', 'temp'), [{ ts: T0 + 3 * SECOND, value: 98 }]);
        assert.deepEqual(await raw('d1', 'temp', {}, 'globex'), [{ ts: T0 + 3 * SECOND, value: 97 }]);
        assert.deepEqual(await raw('d9', 'temp'), []);
        assert.deepEqual(await raw('d1', 'nothing'), []);
        assert.deepEqual(await store.keys('acme', 'd1'), ['hum', 'temp']);
        assert.deepEqual(await store.keys('acme', 'd9'), []);
      });

      test('numbers, booleans and strings round-trip with their types', async () => {
        const values: [string, Scalar][] = [
          ['int', 42],
          ['neg', -17.25],
          ['zero', 0],
          ['tiny', 1e-9],
          ['big', 2 ** 53 - 1],
          ['yes', true],
          ['no', false],
          ['text', 'running'],
          ['empty', ''],
          ['numeric-text', '42'],
          ['bool-text', 'true'],
          ['unicode', 'Temp. 21 °C – ok ✓'],
        ];
        await write(values.map(([key, value], i) => pt('d1', key, T0 + i, value)));
        for (const [key, value] of values) {
          const [r] = await raw('d1', key);
          assert.ok(r, `no point for ${key}`);
          assert.equal(typeof r.value, typeof value, `type of ${key}`);
          assert.equal(r.value, value, key);
        }
        const latest = await store.latest('acme', 'd1');
        for (const [i, [key, value]] of values.entries()) {
          assert.deepEqual(latest[key], { ts: T0 + i, value }, `latest ${key}`);
        }

        // A key may change type over time; only its numbers are aggregated.
        await write([
          pt('d1', 'mixed', T0, 1),
          pt('d1', 'mixed', T0 + 1, 'one'),
          pt('d1', 'mixed', T0 + 2, true),
        ]);
        await write([pt('d1', 'mixed', T0 + 3, 3)]);
        assert.deepEqual(await raw('d1', 'mixed'), [
          { ts: T0, value: 1 },
          { ts: T0 + 1, value: 'one' },
          { ts: T0 + 2, value: true },
          { ts: T0 + 3, value: 3 },
        ]);
        const want = [{ ts: T0, count: 2, min: 1, max: 3, sum: 4, first: 1, last: 3 }];
        for (const source of ['raw', '1m', '1h'] as const) {
          assert.deepEqual(await agg('d1', 'mixed', source, HOUR), want, `mixed from ${source}`);
        }
        // Keys with no number at all have no buckets.
        for (const source of ['raw', '1m', '1h'] as const) {
          assert.deepEqual(await agg('d1', 'text', source, HOUR), [], `text from ${source}`);
          assert.deepEqual(await agg('d1', 'yes', source, HOUR), [], `boolean from ${source}`);
        }
      });

      test('a point with the same device, key and ts is ignored and never counted twice', async () => {
        await write([pt('d1', 'temp', T0, 10), pt('d1', 'temp', T0 + SECOND, 20)]);
        // Again later (a QoS 1 redelivery), with a different value, and twice in one batch.
        await write([pt('d1', 'temp', T0, 11), pt('d1', 'temp', T0 + 2 * SECOND, 30)]);
        await write([pt('d1', 'temp', T0 + SECOND, 21), pt('d1', 'temp', T0 + SECOND, 22)]);
        await write([pt('d1', 'temp', T0 + 3 * SECOND, 40), pt('d1', 'temp', T0 + 3 * SECOND, 41)]);
        // The same ts under another key, device or tenant is not a duplicate.
        await write([pt('d1', 'hum', T0, 5), pt('d2', 'temp', T0, 6), pt('d1', 'temp', T0, 7, 'globex')]);
        // Group commit: duplicates arriving in concurrent writes share one transaction.
        await Promise.all([
          write([pt('d1', 'temp', T0 + 4 * SECOND, 50)]),
          write([pt('d1', 'temp', T0 + 4 * SECOND, 51)]),
        ]);

        const rows = await raw('d1', 'temp');
        assert.deepEqual(
          rows.slice(0, 4),
          [
            { ts: T0, value: 10 },
            { ts: T0 + SECOND, value: 20 },
            { ts: T0 + 2 * SECOND, value: 30 },
            { ts: T0 + 3 * SECOND, value: 40 },
          ],
          'the stored point stays; the first of a batch is kept',
        );
        assert.equal(rows.length, 5);
        const fifth = rows[4]?.value as number;
        assert.ok(fifth === 50 || fifth === 51, `one of the concurrent duplicates, got ${fifth}`);

        const want: Bucket[] = [
          { ts: T0, count: 5, min: 10, max: fifth, sum: 100 + fifth, first: 10, last: fifth },
        ];
        for (const source of ['raw', '1m', '1h'] as const) {
          assert.deepEqual(await agg('d1', 'temp', source, HOUR), want, `rollups from ${source}`);
        }
        assert.deepEqual(await agg('d1', 'hum', '1h', HOUR), [
          { ts: T0, count: 1, min: 5, max: 5, sum: 5, first: 5, last: 5 },
        ]);
        assert.deepEqual(await agg('d2', 'temp', '1m', MINUTE), [
          { ts: T0, count: 1, min: 6, max: 6, sum: 6, first: 6, last: 6 },
        ]);
        assert.deepEqual((await store.latest('acme', 'd1')).temp, { ts: T0 + 4 * SECOND, value: fifth });

        // A duplicate of the newest point does not replace the latest value.
        await write([pt('d1', 'temp', T0 + 4 * SECOND, 999)]);
        assert.deepEqual((await store.latest('acme', 'd1')).temp, { ts: T0 + 4 * SECOND, value: fifth });
      });

      test('latest holds the newest point per key; a late older point does not replace it', async () => {
        assert.deepEqual(await store.latest('acme', 'd1'), {});
        await write([pt('d1', 'temp', T0 + 5 * SECOND, 5), pt('d1', 'hum', T0 + SECOND, 40)]);
        await write([pt('d1', 'temp', T0 + SECOND, 1)]); // replayed from a device's buffer
        assert.deepEqual(await store.latest('acme', 'd1'), {
          hum: { ts: T0 + SECOND, value: 40 },
          temp: { ts: T0 + 5 * SECOND, value: 5 },
        });
        // Within one batch the newest wins whatever the order.
        await write([
          pt('d1', 'temp', T0 + 9 * SECOND, 9),
          pt('d1', 'temp', T0 + 7 * SECOND, 7),
          pt('d1', 'hum', T0 + 2 * SECOND, 41),
          pt('d1', 'state', T0 + 3 * SECOND, 'idle'),
          pt('d1', 'state', T0 + 4 * SECOND, 'run'),
          pt('d1', 'on', T0 + 3 * SECOND, true),
        ]);
        assert.deepEqual(await store.latest('acme', 'd1'), {
          hum: { ts: T0 + 2 * SECOND, value: 41 },
          on: { ts: T0 + 3 * SECOND, value: true },
          state: { ts: T0 + 4 * SECOND, value: 'run' },
          temp: { ts: T0 + 9 * SECOND, value: 9 },
        });
        // A newer point changes the type along with the value.
        await write([pt('d1', 'state', T0 + 10 * SECOND, 3)]);
        assert.deepEqual((await store.latest('acme', 'd1')).state, { ts: T0 + 10 * SECOND, value: 3 });
        // Each device and tenant has its own.
        await write([pt('d2', 'temp', T0, -1), pt('d1', 'temp', T0, -2, 'globex')]);
        assert.deepEqual(await store.latest('acme', 'd2'), { temp: { ts: T0, value: -1 } });
        assert.deepEqual(await store.latest('globex', 'd1'), { temp: { ts: T0, value: -2 } });
        assert.deepEqual((await store.latest('acme', 'd1')).temp, { ts: T0 + 9 * SECOND, value: 9 });
        assert.deepEqual(await store.keys('acme', 'd1'), ['hum', 'on', 'state', 'temp']);
      });

      test('aggregates from raw points, minute and hour rollups agree with each other', async () => {
        // 3 hours, one point per 10 s, values in quarters (exact sums in floating point), some negative.
        const points = Array.from({ length: 1080 }, (_, i) => ({
          ts: T0 + i * 10 * SECOND,
          value: ((i * 37) % 101) - 50 + (i % 4) * 0.25,
        }));
        const rows = points.map((p) => pt('d1', 'temp', p.ts, p.value));
        // Out of order and in several batches, so rollups are merged across commits.
        const mixed = shuffled(rows, 11);
        for (let i = 0; i < mixed.length; i += 250) await write(mixed.slice(i, i + 250));
        await write([pt('d1', 'other', T0, 1_000_000), pt('d2', 'temp', T0, 1_000_000)]);

        const to = T0 + 3 * HOUR - 1;
        const hours = expectedBuckets(points, HOUR);
        assert.equal(hours.length, 3);
        assert.deepEqual(
          hours.map((b) => b.count),
          [360, 360, 360],
        );
        for (const source of ['raw', '1m', '1h'] as const) {
          assert.deepEqual(await agg('d1', 'temp', source, HOUR, T0, to), hours, `hours from ${source}`);
          assert.deepEqual(
            await agg('d1', 'temp', source, DAY, T0, to),
            expectedBuckets(points, DAY),
            `one day bucket from ${source}`,
          );
          assert.deepEqual(
            await agg('d1', 'temp', source, 2 * HOUR, T0, to),
            expectedBuckets(points, 2 * HOUR),
            `2 h buckets from ${source}`,
          );
        }
        for (const source of ['raw', '1m'] as const) {
          assert.deepEqual(
            await agg('d1', 'temp', source, MINUTE, T0, to),
            expectedBuckets(points, MINUTE),
            `minutes from ${source}`,
          );
          assert.deepEqual(
            await agg('d1', 'temp', source, 15 * MINUTE, T0, to),
            expectedBuckets(points, 15 * MINUTE),
            `15 min from ${source}`,
          );
        }
        assert.deepEqual(
          await agg('d1', 'temp', 'raw', 15 * SECOND, T0, to),
          expectedBuckets(points, 15 * SECOND),
        );
        // Bounds select whole buckets: the second hour alone.
        for (const source of ['raw', '1m', '1h'] as const) {
          assert.deepEqual(
            await agg('d1', 'temp', source, HOUR, T0 + HOUR, T0 + 2 * HOUR - 1),
            [hours[1]],
            `second hour from ${source}`,
          );
        }
        // Raw aggregation honours unaligned bounds point by point.
        const inside = points.filter((p) => p.ts >= T0 + 95 * SECOND && p.ts <= T0 + 605 * SECOND);
        assert.deepEqual(
          await agg('d1', 'temp', 'raw', MINUTE, T0 + 95 * SECOND, T0 + 605 * SECOND),
          expectedBuckets(inside, MINUTE),
        );
      });

      test('events read newest first, filtered by type and time, paged with before', async () => {
        const all = Array.from({ length: 9 }, (_, i) =>
          ev('d1', T0 + i * MINUTE, i % 3 === 0 ? 'alarm' : 'door', {
            n: i,
            nested: { door: [i, 'x'], ok: i > 4 },
          }),
        );
        await write([], all.slice(0, 5));
        await write([pt('d1', 'temp', T0, 1)], all.slice(5));
        await write([], [ev('d2', T0, 'door'), ev('d1', T0, 'door', {}, 'globex')]);

        const got = await events('d1');
        assert.deepEqual(
          got.map(({ id: _id, ...rest }) => rest),
          [...all].reverse().map(({ tenant: _t, device: _d, ...rest }) => rest),
        );
        for (const e of got) assert.ok(Number.isSafeInteger(e.id), `id ${e.id}`);
        assert.equal(new Set(got.map((e) => e.id)).size, got.length, 'ids are unique');

        const ns = (list: StoredEvent[]) => list.map((e) => e.data.n);
        assert.deepEqual(ns(await events('d1', { type: 'alarm' })), [6, 3, 0]);
        assert.deepEqual(ns(await events('d1', { type: 'door', limit: 2 })), [8, 7]);
        assert.deepEqual(ns(await events('d1', { from: T0 + 2 * MINUTE, to: T0 + 4 * MINUTE })), [4, 3, 2]);
        assert.deepEqual(await events('d1', { type: 'nope' }), []);
        assert.deepEqual(ns(await events('d2')), [undefined]);
        assert.equal((await events('d1', {}, 'globex')).length, 1);

        // Paging: every event once, in the unpaged order.
        const pages: StoredEvent[][] = [];
        let before: { ts: number; id: number } | undefined;
        for (;;) {
          const page = await events('d1', { limit: 4, ...(before === undefined ? {} : { before }) });
          if (page.length === 0) break;
          pages.push(page);
          before = cursorOf(page);
          assert.ok(pages.length < 10, 'paging does not end');
        }
        assert.deepEqual(ns(pages.flat()), ns(got));
        const doors: StoredEvent[] = [];
        before = undefined;
        for (let guard = 0; guard < 10; guard++) {
          const page = await events('d1', {
            type: 'door',
            limit: 2,
            ...(before === undefined ? {} : { before }),
          });
          if (page.length === 0) break;
          doors.push(...page);
          before = cursorOf(page);
        }
        assert.deepEqual(ns(doors), [8, 7, 5, 4, 2, 1]);
      });

      test('event paging visits every event once when events arrive out of time order', async () => {
        // Live events first, then a device replays older ones from its offline buffer.
        await write(
          [],
          [10, 11, 12].map((m) => ev('d1', T0 + m * MINUTE, 'live', { m })),
        );
        await write(
          [],
          [1, 2, 3].map((m) => ev('d1', T0 + m * MINUTE, 'replayed', { m })),
        );
        await write([], [ev('d1', T0 + 5 * MINUTE, 'live', { m: 5 })]);
        const unpaged = (await events('d1')).map((e) => e.data.m);
        assert.deepEqual(unpaged, [12, 11, 10, 5, 3, 2, 1], 'newest first by time');
        const paged: unknown[] = [];
        let before: { ts: number; id: number } | undefined;
        for (let guard = 0; guard < 20; guard++) {
          const page = await events('d1', { limit: 2, ...(before === undefined ? {} : { before }) });
          if (page.length === 0) break;
          paged.push(...page.map((e) => e.data.m));
          before = cursorOf(page);
        }
        assert.deepEqual(paged, unpaged, 'pages of 2 give the same events as one page');
      });

      test('purge deletes raw points, rollups and events older than their cut-offs, per device or tenant', async () => {
        // Two days, one point and one event per hour, for three devices and another tenant's d1.
        const hours = Array.from({ length: 48 }, (_, h) => T0 + h * HOUR);
        const load = (device: string, tenant = 'acme') =>
          write(
            hours.map((ts, h) => pt(device, 'temp', ts, h, tenant)),
            hours.map((ts, h) => ev(device, ts, 'tick', { h }, tenant)),
          );
        for (const d of ['d1', 'd2', 'd3']) await load(d);
        await load('d1', 'globex');
        const countOf = async (device: string, source: '1m' | '1h', tenant = 'acme') =>
          (await agg(device, 'temp', source, HOUR, 0, FAR, tenant)).map((b) => b.ts);
        const eventTs = async (device: string, tenant = 'acme') =>
          (await events(device, {}, tenant)).map((e) => e.ts).reverse();
        const since = (cut: number) => hours.filter((ts) => ts >= cut);

        const removed = await writer.purge([
          {
            tenant: 'acme',
            devices: ['d1', 'd2'],
            rawBefore: T0 + 24 * HOUR,
            rollupsBefore: T0 + 12 * HOUR,
            eventsBefore: T0 + 36 * HOUR,
          },
        ]);
        assert.ok(removed > 0, `rows removed: ${removed}`);
        for (const d of ['d1', 'd2']) {
          assert.deepEqual(await tss(d, 'temp'), since(T0 + 24 * HOUR), `${d} raw`);
          assert.deepEqual(await countOf(d, '1h'), since(T0 + 12 * HOUR), `${d} hour rollups`);
          assert.deepEqual(await countOf(d, '1m'), since(T0 + 12 * HOUR), `${d} minute rollups`);
          assert.deepEqual(await eventTs(d), since(T0 + 36 * HOUR), `${d} events`);
        }
        for (const [d, tenant] of [
          ['d3', 'acme'],
          ['d1', 'globex'],
        ] as const) {
          assert.deepEqual(await tss(d, 'temp', {}, tenant), hours, `${tenant}/${d} raw untouched`);
          assert.deepEqual(await countOf(d, '1h', tenant), hours, `${tenant}/${d} rollups untouched`);
          assert.deepEqual(await countOf(d, '1m', tenant), hours, `${tenant}/${d} minute rollups untouched`);
          assert.deepEqual(await eventTs(d, tenant), hours, `${tenant}/${d} events untouched`);
        }
        // Rollups that remain still hold their full summary.
        assert.deepEqual(await agg('d1', 'temp', '1h', DAY, T0 + 12 * HOUR, FAR), [
          { ts: T0, count: 12, min: 12, max: 23, sum: 210, first: 12, last: 23 },
          { ts: T0 + DAY, count: 24, min: 24, max: 47, sum: 852, first: 24, last: 47 },
        ]);
        assert.equal(
          await writer.purge([
            {
              tenant: 'acme',
              devices: ['d1', 'd2'],
              rawBefore: T0 + 24 * HOUR,
              rollupsBefore: T0 + 12 * HOUR,
              eventsBefore: T0 + 36 * HOUR,
            },
          ]),
          0,
          'nothing left to remove under the same rules',
        );

        // A whole tenant (no device list), several rules at once.
        const removedTenant = await writer.purge([
          {
            tenant: 'acme',
            rawBefore: T0 + 40 * HOUR,
            rollupsBefore: T0 + 30 * HOUR,
            eventsBefore: T0 + 44 * HOUR,
          },
          { tenant: 'nobody', rawBefore: FAR, rollupsBefore: FAR, eventsBefore: FAR },
        ]);
        assert.ok(removedTenant > 0);
        for (const d of ['d1', 'd2', 'd3']) {
          assert.deepEqual(await tss(d, 'temp'), since(T0 + 40 * HOUR), `${d} raw`);
          assert.deepEqual(await countOf(d, '1h'), since(T0 + 30 * HOUR), `${d} hour rollups`);
          assert.deepEqual(await eventTs(d), since(T0 + 44 * HOUR), `${d} events`);
        }
        assert.deepEqual(await tss('d1', 'temp', {}, 'globex'), hours, 'another tenant untouched');
        assert.deepEqual(await eventTs('d1', 'globex'), hours);
        assert.deepEqual(await writer.purge([]), 0);
      });

      test('forget removes all of one device, or one tenant, and nothing else', async () => {
        const load = (device: string, tenant: string) =>
          write(
            [
              pt(device, 'temp', T0, 1, tenant),
              pt(device, 'temp', T0 + HOUR, 2, tenant),
              pt(device, 'state', T0, 'on', tenant),
            ],
            [ev(device, T0, 'boot', {}, tenant)],
          );
        await load('d1', 'acme');
        await load('d2', 'acme');
        await load('d1', 'globex');
        const snapshot = async (device: string, tenant: string) => ({
          keys: await store.keys(tenant, device),
          latest: await store.latest(tenant, device),
          raw: await raw(device, 'temp', {}, tenant),
          minutes: await agg(device, 'temp', '1m', HOUR, 0, FAR, tenant),
          hours: await agg(device, 'temp', '1h', HOUR, 0, FAR, tenant),
          events: (await events(device, {}, tenant)).length,
        });
        const empty = { keys: [], latest: {}, raw: [], minutes: [], hours: [], events: 0 };
        const full = await snapshot('d1', 'acme');
        assert.equal(full.raw.length, 2);
        assert.equal(full.events, 1);

        await writer.forget('acme', 'd1');
        assert.deepEqual(await snapshot('d1', 'acme'), empty);
        assert.deepEqual(await snapshot('d2', 'acme'), full);
        assert.deepEqual(await snapshot('d1', 'globex'), full);

        // A device created again with the same id starts empty and stores normally.
        await write([pt('d1', 'temp', T0 + 2 * HOUR, 3)]);
        assert.deepEqual(await raw('d1', 'temp'), [{ ts: T0 + 2 * HOUR, value: 3 }]);
        assert.deepEqual(await store.latest('acme', 'd1'), { temp: { ts: T0 + 2 * HOUR, value: 3 } });
        assert.deepEqual(await agg('d1', 'temp', '1h', HOUR), [
          { ts: T0 + 2 * HOUR, count: 1, min: 3, max: 3, sum: 3, first: 3, last: 3 },
        ]);

        await writer.forget('acme');
        assert.deepEqual(await snapshot('d1', 'acme'), empty);
        assert.deepEqual(await snapshot('d2', 'acme'), empty);
        assert.deepEqual(await snapshot('d1', 'globex'), full);
        await writer.forget('acme', 'never-existed');
        await writer.forget('no-such-tenant');
        assert.deepEqual(await snapshot('d1', 'globex'), full);
      });

      test('many concurrent writers all resolve and every point is stored once (group commit)', async () => {
        const callers = 60;
        const perCaller = 150;
        const batches = Array.from({ length: callers }, (_, c) => ({
          points: Array.from({ length: perCaller }, (_, i) =>
            pt(`d${c % 6}`, `k${Math.floor(c / 6)}`, T0 + i * SECOND, c * 1000 + i),
          ),
          events: c % 10 === 0 ? [ev(`d${c % 6}`, T0 + c, 'batch', { c })] : [],
        }));
        const settled = await Promise.allSettled(batches.map((b) => writer.write(b)));
        assert.deepEqual(
          settled.filter((s) => s.status === 'rejected'),
          [],
        );
        // Resolved means durable; the tables may still be catching up, but reads see it all.
        assert.ok(writer.backlog <= callers * perCaller + callers / 10, 'backlog counts what is written');
        for (let c = 0; c < callers; c++) {
          const device = `d${c % 6}`;
          const key = `k${Math.floor(c / 6)}`;
          const rows = await raw(device, key);
          assert.equal(rows.length, perCaller, `${device}/${key}`);
          assert.deepEqual(rows[perCaller - 1], {
            ts: T0 + (perCaller - 1) * SECOND,
            value: c * 1000 + perCaller - 1,
          });
          const [hour] = await agg(device, key, '1h', HOUR);
          assert.equal(hour?.count, perCaller);
        }
        let evs = 0;
        for (let d = 0; d < 6; d++) evs += (await events(`d${d}`)).length;
        assert.equal(evs, callers / 10);
        assert.equal(writer.backlog, 0, 'after a read nothing is left outside the tables');
        // An empty batch resolves at once.
        await writer.write({ points: [], events: [] });
      });

      test('close commits what is pending; later writes are refused', async () => {
        const pending = Array.from({ length: 20 }, (_, i) => write([pt('d1', 'temp', T0 + i * SECOND, i)]));
        await writer.close();
        await Promise.all(pending);
        assert.equal((await raw('d1', 'temp')).length, 20);
        await assert.rejects(write([pt('d1', 'temp', T0 + HOUR, 1)]));
        await writer.close(); // twice is harmless
      });
    },
  );
}
