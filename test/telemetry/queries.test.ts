import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { allPages, assertProblem, type List, type Problem, userClient } from '../helpers/fixtures.js';
import { type Client, client, type Reply } from '../helpers/http.js';
import { adminClient, createDevice, type TestDevice } from '../helpers/mqtt.js';

const SECOND = 1_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

type Value = number | boolean | string;
interface Point {
  readonly key: string;
  readonly ts: number;
  readonly value: Value;
}
type RawItem = { key: string; ts: number; value: Value };
type MultiItem = RawItem & { device: string };
type AggItem = { key: string; ts: number } & Partial<Record<Agg, number>>;
type Agg = 'min' | 'max' | 'avg' | 'sum' | 'count' | 'first' | 'last';
interface EventItem {
  id: number;
  ts: number;
  type: string;
  data: Record<string, unknown>;
}
const ALL_AGG = 'min,max,avg,sum,count,first,last';

/** Sends data as the device over the device HTTP API (answered after commit). */
async function send(
  app: TestApp,
  device: TestDevice,
  body: unknown,
  path: 'telemetry' | 'events' = 'telemetry',
): Promise<Reply<{ accepted: number } & Partial<Problem>>> {
  const user = device.tenant === 'default' ? device.id : `${device.id}@${device.tenant}`;
  const res = await fetch(`${app.url}/device/v1/${path}`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${user}:${device.secret}`).toString('base64')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as { accepted: number } };
}

/** Sends points as `[{ts, values}]` entries (one entry per timestamp) and expects all of them kept. */
async function sendPoints(app: TestApp, device: TestDevice, points: readonly Point[]): Promise<void> {
  const byTs = new Map<number, Record<string, Value>>();
  for (const p of points) {
    const values = byTs.get(p.ts) ?? {};
    values[p.key] = p.value;
    byTs.set(p.ts, values);
  }
  const entries = [...byTs].map(([ts, values]) => ({ ts, values }));
  for (let i = 0; i < entries.length; i += 2_500) {
    const chunk = entries.slice(i, i + 2_500);
    const r = await send(app, device, chunk);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(
      r.body.accepted,
      chunk.reduce((n, e) => n + Object.keys(e.values).length, 0),
    );
  }
}

/** Buckets computed here: numeric points of one key, `interval` wide, starting at multiples of it. */
function bucketsOf(points: readonly Point[], key: string, interval: number): AggItem[] {
  const out: Required<AggItem>[] = [];
  const nums = points.filter((p) => p.key === key && typeof p.value === 'number').sort((a, b) => a.ts - b.ts);
  for (const p of nums) {
    const v = p.value as number;
    const ts = Math.floor(p.ts / interval) * interval;
    const cur = out[out.length - 1];
    if (cur && cur.ts === ts) {
      cur.count++;
      cur.sum += v;
      cur.min = Math.min(cur.min, v);
      cur.max = Math.max(cur.max, v);
      cur.last = v;
    } else out.push({ key, ts, count: 1, sum: v, min: v, max: v, first: v, last: v, avg: 0 });
  }
  for (const b of out) b.avg = b.sum / b.count;
  return out;
}

const pick = (b: AggItem, aggs: readonly Agg[]): AggItem => {
  const out: AggItem = { key: b.key, ts: b.ts };
  for (const a of aggs) out[a] = b[a] as number;
  return out;
};

/** Items in the order raw history returns them: by time, then device, then key. */
function byTime<T extends RawItem & { device?: string }>(items: T[]): T[] {
  return items.sort(
    (a, b) =>
      a.ts - b.ts ||
      (a.device ?? '').localeCompare(b.device ?? '') ||
      (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
}

const raw = (p: Point): RawItem => ({ key: p.key, ts: p.ts, value: p.value });

/** RFC 4180: quoted fields may hold commas, quotes (doubled) and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else if (c !== '\r') field += c;
  }
  assert.equal(quoted, false, 'unterminated quoted field');
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** An ISO 8601 time with a numeric zone offset instead of Z. */
function isoWithOffset(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * MINUTE).toISOString().slice(0, 23);
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

const STATES = ['idle', 'run, fast', 'say "hi"', 'two\nlines', 'plain', ' padded '];

describe('telemetry queries over the REST API', () => {
  let app: TestApp;
  let admin: Client;
  let root: Client;
  /** Start of the loaded range, 6 to 8 hours ago. Data covers [B, B + 2 h). */
  let B: number;
  let END: number;
  const press1: Point[] = [];
  const press2: Point[] = [];
  const bulk: Point[] = [];
  const press2Events: { ts: number; type: string; n: number }[] = [];
  let devices: Record<string, TestDevice>;
  let globexDevice: TestDevice;
  /** Headers for plain fetch() of exports. */
  let auth: Record<string, string>;
  const path = (device: string, query: string) => `/api/v1/devices/${device}/telemetry?${query}`;

  before(async () => {
    app = await startTestApp();
    admin = await adminClient(app);
    root = admin;
    const login = await client(app.url).post<{ token: string }>('/api/v1/auth/login', app.admin);
    auth = { authorization: `Bearer ${login.body.token}` };
    const now = Date.now();
    // A multiple of 2 h, so that `points=1` over [B, B + 2 h) is one aligned bucket whatever the time of day.
    B = Math.floor(now / (2 * HOUR)) * 2 * HOUR - 6 * HOUR;
    END = B + 2 * HOUR - 1;

    devices = {};
    for (const id of ['press-1', 'press-2', 'press-3', 'press-4', 'bulk', 'quiet']) {
      devices[id] = await createDevice(admin, { id });
    }
    // Another tenant with a device of the same id, and one of its own.
    assert.equal((await root.post('/api/v1/tenants', { id: 'globex' })).status, 201);
    for (const id of ['press-1', 'globex-only']) {
      const r = await root.post<{ secret: string }>('/api/v1/devices', { id }, { 'plexus-tenant': 'globex' });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      if (id === 'press-1') globexDevice = { id, secret: r.body.secret, tenant: 'globex' };
    }

    // press-1: temp every 10 s, hum every 30 s, state and on every 10 min; values in quarters.
    for (let i = 0; i < 720; i++) {
      const ts = B + i * 10 * SECOND;
      press1.push({ key: 'temp', ts, value: 20 + (((i * 37) % 101) - 50) * 0.25 });
      if (i % 3 === 0) press1.push({ key: 'hum', ts, value: 40 + ((i / 3) % 13) * 0.5 });
      if (i % 60 === 0) {
        press1.push({ key: 'state', ts, value: STATES[(i / 60) % STATES.length] as string });
        press1.push({ key: 'on', ts, value: (i / 60) % 2 === 0 });
      }
      press2.push({ key: 'temp', ts, value: 30 + (i % 17) * 0.25 });
    }
    // 20,000 points, one per second, ending well before B.
    const bulkStart = B - 8 * HOUR;
    for (let i = 0; i < 20_000; i++) bulk.push({ key: 'v', ts: bulkStart + i * SECOND, value: i % 1000 });
    await Promise.all([
      sendPoints(app, devices['press-1'] as TestDevice, press1),
      sendPoints(app, devices['press-2'] as TestDevice, press2),
      sendPoints(app, devices.bulk as TestDevice, bulk),
      sendPoints(app, globexDevice, [{ key: 'temp', ts: B, value: -999 }]),
    ]);

    for (let n = 0; n < 25; n++)
      press2Events.push({ ts: B + n * MINUTE, type: n % 5 === 0 ? 'alarm' : 'door', n });
    const ev = await send(
      app,
      devices['press-2'] as TestDevice,
      press2Events.map((e) => ({ type: e.type, ts: e.ts, n: e.n })),
      'events',
    );
    assert.equal(ev.status, 200, JSON.stringify(ev.body));
    assert.equal(ev.body.accepted, 25);
  });
  after(() => app?.stop());

  test('raw history pages with limit and next, oldest first, without gaps or repeats', async () => {
    const temp = press1.filter((p) => p.key === 'temp').map(raw);
    const pages = await allPages<RawItem>(admin, path('press-1', `keys=temp&from=${B}&to=${END}&limit=100`));
    assert.deepEqual(
      pages.map((p) => p.length),
      [100, 100, 100, 100, 100, 100, 100, 20],
    );
    assert.deepEqual(pages.flat(), temp);

    // Several keys: merged by time then key; an odd page size splits timestamps across pages.
    const four = await allPages<RawItem>(
      admin,
      path('press-1', `keys=temp,hum,state,on&from=${B}&to=${END}&limit=7`),
    );
    const all = byTime(press1.map(raw));
    assert.equal(all.length, 720 + 240 + 12 + 12);
    for (const page of four.slice(0, -1)) assert.equal(page.length, 7);
    assert.deepEqual(four.flat(), all);

    // A page that holds exactly the rest has no next.
    const exact = await admin.get<List<RawItem>>(path('press-1', `keys=temp&from=${B}&to=${END}&limit=720`));
    assert.equal(exact.status, 200);
    assert.equal(exact.body.items.length, 720);
    assert.equal(exact.body.next, undefined);

    // Defaults: every key of the device over the last 24 hours, 1000 per page.
    const defaults = await admin.get<List<RawItem>>('/api/v1/devices/press-1/telemetry');
    assert.equal(defaults.status, 200, JSON.stringify(defaults.body));
    assert.deepEqual(defaults.body.items, all);
    assert.equal(defaults.body.next, undefined);
  });

  test('from and to take epoch ms or ISO 8601 and are inclusive', async () => {
    const want = [10, 20, 30, 40, 50].map((s) =>
      press1.find((p) => p.key === 'temp' && p.ts === B + s * SECOND),
    );
    const from = B + 10 * SECOND;
    const to = B + 50 * SECOND;
    for (const [f, t] of [
      [String(from), String(to)],
      [new Date(from).toISOString(), new Date(to).toISOString()],
      [isoWithOffset(from, 120), isoWithOffset(to, -330)],
      [new Date(from).toISOString(), String(to)],
    ]) {
      const r = await admin.get<List<RawItem>>(
        path(
          'press-1',
          `keys=temp&from=${encodeURIComponent(f as string)}&to=${encodeURIComponent(t as string)}`,
        ),
      );
      assert.equal(r.status, 200, `${f} … ${t}: ${JSON.stringify(r.body)}`);
      assert.deepEqual(
        r.body.items,
        want.map((p) => raw(p as Point)),
        `${f} … ${t}`,
      );
    }
    // One instant.
    const one = await admin.get<List<RawItem>>(path('press-1', `keys=temp&from=${from}&to=${from}`));
    assert.deepEqual(one.body.items, [raw(want[0] as Point)]);
  });

  test('aggregates over 1h, 1m, 15s and other intervals match values computed here', async () => {
    const aggs = ALL_AGG.split(',') as Agg[];
    for (const [interval, ms] of [
      ['1h', HOUR],
      ['1m', MINUTE],
      ['15s', 15 * SECOND],
      ['5m', 5 * MINUTE],
      ['30s', 30 * SECOND],
      ['3600000ms', HOUR],
      ['1d', DAY],
    ] as const) {
      const r = await admin.get<{ items: AggItem[]; interval: number }>(
        path('press-1', `keys=temp,hum&from=${B}&to=${END}&interval=${interval}&agg=${ALL_AGG}`),
      );
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.interval, ms, interval);
      const want = [...bucketsOf(press1, 'temp', ms), ...bucketsOf(press1, 'hum', ms)].map((b) =>
        pick(b, aggs),
      );
      assert.deepEqual(r.body.items, want, `interval ${interval}`);
      if (ms === HOUR)
        assert.deepEqual(
          r.body.items.map((b) => b.count),
          [360, 360, 120, 120],
        );
    }
    // A subset of aggregates, in any order, and the default set (avg, min, max).
    const some = await admin.get<{ items: AggItem[] }>(
      path('press-1', `keys=temp&from=${B}&to=${END}&interval=1m&agg=last,count,first`),
    );
    assert.deepEqual(
      some.body.items,
      bucketsOf(press1, 'temp', MINUTE).map((b) => pick(b, ['first', 'last', 'count'])),
    );
    const dflt = await admin.get<{ items: AggItem[] }>(
      path('press-1', `keys=temp&from=${B}&to=${END}&interval=1h`),
    );
    assert.deepEqual(
      dflt.body.items,
      bucketsOf(press1, 'temp', HOUR).map((b) => pick(b, ['avg', 'min', 'max'])),
    );
    // Text and boolean keys have no numeric buckets.
    const text = await admin.get<{ items: AggItem[] }>(
      path('press-1', `keys=state,on&from=${B}&to=${END}&interval=1h&agg=count`),
    );
    assert.deepEqual(text.body.items, []);
    // agg alone: about 500 buckets at a nice interval (2 h / 500 → 15 s).
    const auto = await admin.get<{ items: AggItem[]; interval: number }>(
      path('press-1', `keys=temp&from=${B}&to=${END}&agg=count`),
    );
    assert.equal(auto.body.interval, 15 * SECOND);
    assert.deepEqual(
      auto.body.items,
      bucketsOf(press1, 'temp', 15 * SECOND).map((b) => pick(b, ['count'])),
    );
  });

  test('points=N downsamples to at most N buckets', async () => {
    for (const n of [1, 2, 10, 100, 500]) {
      const r = await admin.get<{ items: AggItem[]; interval: number }>(
        path('press-1', `keys=temp&from=${B}&to=${END}&points=${n}&agg=${ALL_AGG}`),
      );
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.ok(r.body.items.length <= n, `points=${n}: ${r.body.items.length} buckets`);
      assert.ok(r.body.items.length >= 1);
      assert.deepEqual(r.body.items, bucketsOf(press1, 'temp', r.body.interval), `points=${n}`);
    }
    // Ranges that do not start on a bucket boundary (a chart of "the last hour") must not get N + 1.
    const tooMany: string[] = [];
    for (const [from, to, n] of [
      [B + 7 * SECOND, B + 7 * SECOND + HOUR - 1, 4], // 15 min buckets from minute rollups
      [B + 5 * SECOND, B + 65 * SECOND - 1, 4], // 15 s buckets from raw points
      [B + 20 * MINUTE, B + 80 * MINUTE - 1, 1], // one hour bucket from hour rollups
    ] as const) {
      const r = await admin.get<{ items: AggItem[]; interval: number }>(
        path('press-1', `keys=temp&from=${from}&to=${to}&points=${n}&agg=count`),
      );
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const starts = r.body.items.map((b) => `B${b.ts >= B ? '+' : ''}${(b.ts - B) / SECOND}s`).join(' ');
      if (r.body.items.length > n) {
        tooMany.push(
          `points=${n} over [B+${(from - B) / SECOND}s, B+${(to + 1 - B) / SECOND}s): ${r.body.items.length} buckets of ${r.body.interval} ms (${starts})`,
        );
      }
    }
    assert.deepEqual(tooMany, []);
  });

  test('several devices and keys in one call, raw (paged) and aggregated', async () => {
    const want = byTime([
      ...press1.filter((p) => p.key === 'temp').map((p) => ({ device: 'press-1', ...raw(p) })),
      ...press2.map((p) => ({ device: 'press-2', ...raw(p) })),
    ]);
    const pages = await allPages<MultiItem>(
      admin,
      `/api/v1/telemetry?devices=press-1,press-2&keys=temp&from=${B}&to=${END}&limit=250`,
    );
    assert.equal(pages.length, Math.ceil(1440 / 250));
    assert.deepEqual(pages.flat(), want);

    const both = await admin.get<List<MultiItem>>(
      `/api/v1/telemetry?devices=press-2,press-1&keys=temp,hum&from=${B}&to=${B + 30 * SECOND}`,
    );
    assert.deepEqual(
      both.body.items,
      byTime([
        ...press1
          .filter((p) => p.ts <= B + 30 * SECOND && (p.key === 'temp' || p.key === 'hum'))
          .map((p) => ({ device: 'press-1', ...raw(p) })),
        ...press2.filter((p) => p.ts <= B + 30 * SECOND).map((p) => ({ device: 'press-2', ...raw(p) })),
      ]),
    );

    const agg = await admin.get<{ items: (AggItem & { device: string })[] }>(
      `/api/v1/telemetry?devices=press-1,press-2&keys=temp&from=${B}&to=${END}&interval=1h&agg=count,sum,avg`,
    );
    assert.equal(agg.status, 200, JSON.stringify(agg.body));
    assert.deepEqual(agg.body.items, [
      ...bucketsOf(press1, 'temp', HOUR).map((b) => ({
        device: 'press-1',
        ...pick(b, ['count', 'sum', 'avg']),
      })),
      ...bucketsOf(press2, 'temp', HOUR).map((b) => ({
        device: 'press-2',
        ...pick(b, ['count', 'sum', 'avg']),
      })),
    ]);

    assertProblem(
      await admin.get(`/api/v1/telemetry?devices=press-1,nope&keys=temp`),
      404,
      'REGISTRY_DEVICE_NOT_FOUND',
    );
    assertProblem(
      await admin.get(
        `/api/v1/telemetry?devices=${Array.from({ length: 101 }, (_, i) => `d${i}`).join(',')}&keys=t`,
      ),
      400,
      'TELEMETRY_BAD_QUERY',
    );
  });

  test('CSV export: header, RFC 4180 quoting, one row per point', async () => {
    const res = await fetch(
      `${app.url}/api/v1/devices/press-1/telemetry/export?keys=state,temp,on&from=${B}&to=${END}`,
      { headers: auth },
    );
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(
      res.headers.get('content-disposition') ?? '',
      /attachment; filename="press-1-telemetry\.csv"/,
    );
    const text = await res.text();
    assert.ok(text.includes('"say ""hi"""'), 'quotes are doubled inside a quoted field');
    assert.ok(text.includes('"run, fast"'), 'a comma is quoted');
    assert.ok(text.includes('"two\nlines"'), 'a line break is quoted');
    const rows = parseCsv(text);
    assert.deepEqual(rows[0], ['device', 'key', 'ts', 'time', 'value']);
    const want = ['state', 'temp', 'on'].flatMap((key) =>
      press1
        .filter((p) => p.key === key)
        .map((p) => ['press-1', key, String(p.ts), new Date(p.ts).toISOString(), String(p.value)]),
    );
    assert.equal(rows.length - 1, 12 + 720 + 12);
    assert.deepEqual(rows.slice(1), want);
  });

  test('JSON and NDJSON exports of 20,000 points are streamed, parseable and complete', async () => {
    const from = bulk[0]?.ts as number;
    const to = bulk[bulk.length - 1]?.ts as number;
    const want = bulk.map(raw);
    const get = (format: string) =>
      fetch(`${app.url}/api/v1/devices/bulk/telemetry/export?format=${format}&keys=v&from=${from}&to=${to}`, {
        headers: auth,
      });

    const json = await get('json');
    assert.equal(json.status, 200);
    assert.match(json.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(json.headers.get('content-length'), null, 'streamed, not buffered');
    assert.deepEqual(JSON.parse(await json.text()), want);

    const nd = await get('ndjson');
    assert.equal(nd.status, 200);
    assert.match(nd.headers.get('content-type') ?? '', /^application\/x-ndjson/);
    const lines = (await nd.text()).split('\n');
    assert.equal(lines.pop(), '', 'ends with a line break');
    assert.equal(lines.length, 20_000);
    assert.deepEqual(
      lines.map((l) => JSON.parse(l)),
      want,
    );

    const csv = await get('csv');
    const rows = parseCsv(await csv.text());
    assert.equal(rows.length, 20_001);
    assert.deepEqual(rows[20_000], [
      'bulk',
      'v',
      String(to),
      new Date(to).toISOString(),
      String(19_999 % 1000),
    ]);

    // No keys: every key; an empty range: a valid empty document.
    const emptyJson = await fetch(
      `${app.url}/api/v1/devices/quiet/telemetry/export?format=json&from=${from}&to=${to}`,
      { headers: auth },
    );
    assert.deepEqual(JSON.parse(await emptyJson.text()), []);
    const emptyCsv = await fetch(`${app.url}/api/v1/devices/bulk/telemetry/export?from=${B}&to=${END}`, {
      headers: auth,
    });
    assert.equal(await emptyCsv.text(), 'device,key,ts,time,value\n');
  });

  test('latest values per key; a late older point does not replace them', async () => {
    const last = (key: string) => {
      const p = press1.filter((x) => x.key === key).at(-1) as Point;
      return { ts: p.ts, value: p.value };
    };
    const r = await admin.get('/api/v1/devices/press-1/telemetry/latest');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { hum: last('hum'), on: last('on'), state: last('state'), temp: last('temp') });

    const d = devices['press-3'] as TestDevice;
    const now = Date.now();
    assert.deepEqual((await admin.get('/api/v1/devices/press-3/telemetry/latest')).body, {});
    await sendPoints(app, d, [
      { key: 'temp', ts: now - MINUTE, value: 5 },
      { key: 'state', ts: now - MINUTE, value: 'run' },
    ]);
    await sendPoints(app, d, [{ key: 'temp', ts: now - 2 * MINUTE, value: 1 }]); // replayed from a buffer
    assert.deepEqual((await admin.get('/api/v1/devices/press-3/telemetry/latest')).body, {
      state: { ts: now - MINUTE, value: 'run' },
      temp: { ts: now - MINUTE, value: 5 },
    });
    await sendPoints(app, d, [{ key: 'temp', ts: now - SECOND, value: 7.5 }]);
    assert.deepEqual((await admin.get('/api/v1/devices/press-3/telemetry/latest')).body, {
      state: { ts: now - MINUTE, value: 'run' },
      temp: { ts: now - SECOND, value: 7.5 },
    });
    // The late point is in the history all the same.
    const hist = await admin.get<List<RawItem>>(path('press-3', `keys=temp&from=${now - HOUR}&to=${now}`));
    assert.deepEqual(
      hist.body.items.map((i) => i.value),
      [1, 5, 7.5],
    );
  });

  test('events: newest first, paged with next, filtered by type and time', async () => {
    const newest = [...press2Events].reverse();
    const pages = await allPages<EventItem>(admin, '/api/v1/devices/press-2/events?limit=10');
    assert.deepEqual(
      pages.map((p) => p.length),
      [10, 10, 5],
    );
    assert.deepEqual(
      pages.flat().map((e) => ({ ts: e.ts, type: e.type, n: e.data.n })),
      newest,
    );
    for (const e of pages.flat()) assert.deepEqual(e.data, { n: press2Events.find((x) => x.ts === e.ts)?.n });

    const alarms = await allPages<EventItem>(admin, '/api/v1/devices/press-2/events?type=alarm&limit=2');
    assert.deepEqual(
      alarms.flat().map((e) => e.data.n),
      [20, 15, 10, 5, 0],
    );
    const window = await admin.get<List<EventItem>>(
      `/api/v1/devices/press-2/events?from=${B + 3 * MINUTE}&to=${new Date(B + 6 * MINUTE).toISOString()}`,
    );
    assert.deepEqual(
      window.body.items.map((e) => e.data.n),
      [6, 5, 4, 3],
    );
    assert.deepEqual((await admin.get<List<EventItem>>('/api/v1/devices/press-1/events')).body.items, []);
  });

  test('event pages have no gaps when a device sends older events after newer ones', async () => {
    const d = devices['press-4'] as TestDevice;
    const live = [10, 11, 12].map((m) => ({ type: 'live', ts: B + m * MINUTE, m }));
    const replayed = [1, 2, 3].map((m) => ({ type: 'replayed', ts: B + m * MINUTE, m }));
    assert.equal((await send(app, d, live, 'events')).status, 200);
    assert.equal((await send(app, d, replayed, 'events')).status, 200);
    const one = await admin.get<List<EventItem>>('/api/v1/devices/press-4/events?limit=100');
    assert.deepEqual(
      one.body.items.map((e) => e.data.m),
      [12, 11, 10, 3, 2, 1],
    );
    const pages = await allPages<EventItem>(admin, '/api/v1/devices/press-4/events?limit=2');
    assert.deepEqual(
      pages.flat().map((e) => e.data.m),
      [12, 11, 10, 3, 2, 1],
      'pages of 2 hold the same events as one page of 100',
    );
  });

  test('bad queries get 400 with a reason', async () => {
    const bad = async (query: string, code = 'TELEMETRY_BAD_QUERY') => {
      const r = await admin.get(path('press-1', query));
      assertProblem(r, 400, code);
    };
    await bad('keys=temp&agg=median');
    await bad('keys=temp&agg=');
    await bad('keys=temp&agg=min,,avg,p99');
    for (const interval of ['5x', '0s', '1.5h', 'h', '-1m', '10 minutes']) {
      await bad(`keys=temp&interval=${encodeURIComponent(interval)}`);
    }
    for (const time of ['yesterday', '2024-13-45T00:00:00Z', '12:00', '1.5e12', '2024-05-01Tnoon']) {
      await bad(`keys=temp&from=${encodeURIComponent(time)}`);
      await bad(`keys=temp&to=${encodeURIComponent(time)}`);
    }
    await bad(`keys=temp&from=${B + HOUR}&to=${B}`);
    await bad(`keys=temp&from=${B + HOUR}&to=${B}&interval=1m`);
    // Too many buckets: 1 s over a day, 1 ms over a minute.
    await bad(`keys=temp&from=${B - DAY}&to=${B}&interval=1s`);
    await bad(`keys=temp&from=${B}&to=${B + MINUTE}&interval=1ms`);
    const ok = await admin.get(
      path('press-1', `keys=temp&from=${B}&to=${B + 10_000 * SECOND - 1}&interval=1s`),
    );
    assert.equal(ok.status, 200, 'exactly 10,000 buckets are allowed');
    await bad('keys=temp&cursor=garbage', 'API_INVALID_CURSOR');
    for (const q of ['limit=0', 'limit=10001', 'limit=ten', 'points=0', 'points=10001', 'unknown=1']) {
      await bad(`keys=temp&${q}`, 'API_VALIDATION');
    }
    assertProblem(
      await admin.get('/api/v1/devices/press-1/telemetry/export?format=xml'),
      400,
      'API_VALIDATION',
    );
    assertProblem(await admin.get('/api/v1/devices/press-2/events?cursor=abc'), 400, 'API_INVALID_CURSOR');
    assertProblem(await admin.get('/api/v1/devices/press-2/events?limit=1001'), 400, 'API_VALIDATION');
    assertProblem(await admin.get('/api/v1/telemetry?keys=temp'), 400, 'API_VALIDATION');
  });

  test("unknown devices and another tenant's devices answer 404; tenants see only their own data", async () => {
    for (const device of ['nope', 'globex-only']) {
      for (const p of [
        `/api/v1/devices/${device}/telemetry/latest`,
        `/api/v1/devices/${device}/telemetry?keys=temp`,
        `/api/v1/devices/${device}/telemetry?keys=temp&interval=1h`,
        `/api/v1/devices/${device}/telemetry/export`,
        `/api/v1/devices/${device}/events`,
        `/api/v1/telemetry?devices=${device}&keys=temp`,
      ]) {
        assertProblem(await admin.get(p), 404, 'REGISTRY_DEVICE_NOT_FOUND');
      }
    }
    // press-1 exists in both tenants with different data.
    const globex = await userClient(root, app.url, {
      username: 'globex-admin',
      role: 'admin',
      tenant: 'globex',
    });
    const theirs = await globex.get<List<RawItem>>(path('press-1', `keys=temp&from=${B}&to=${END}`));
    assert.deepEqual(theirs.body.items, [{ key: 'temp', ts: B, value: -999 }]);
    assert.deepEqual((await globex.get('/api/v1/devices/press-1/telemetry/latest')).body, {
      temp: { ts: B, value: -999 },
    });
    const ours = await admin.get<List<RawItem>>(path('press-1', `keys=temp&from=${B}&to=${B}`));
    assert.deepEqual(ours.body.items, [raw(press1[0] as Point)]);
    assertProblem(
      await globex.get('/api/v1/devices/press-2/telemetry/latest'),
      404,
      'REGISTRY_DEVICE_NOT_FOUND',
    );
    // A tenant admin is not a platform admin.
    assertProblem(await globex.post('/api/v1/telemetry/retention'), 403, 'AUTH_FORBIDDEN');
  });

  test('a viewer API key reads telemetry; without a token every read is 401', async () => {
    const k = await admin.post<{ key: string }>('/api/v1/apikeys', { name: 'dashboard', role: 'viewer' });
    assert.equal(k.status, 201, JSON.stringify(k.body));
    const viewer = client(app.url, k.body.key);
    const anon = client(app.url);
    const reads = [
      '/api/v1/devices/press-1/telemetry/latest',
      path('press-1', `keys=temp&from=${B}&to=${END}&limit=5`),
      path('press-1', `keys=temp&from=${B}&to=${END}&interval=1h&agg=count`),
      `/api/v1/telemetry?devices=press-1,press-2&keys=temp&from=${B}&to=${END}&limit=5`,
      `/api/v1/devices/press-1/telemetry/export?keys=on&from=${B}&to=${END}`,
      '/api/v1/devices/press-2/events?limit=3',
    ];
    for (const p of reads) {
      const r = await viewer.get(p);
      assert.equal(r.status, 200, `${p}: ${JSON.stringify(r.body)}`);
      assertProblem(await anon.get(p), 401, 'AUTH_UNAUTHENTICATED');
    }
    const agg = await viewer.get<{ items: AggItem[] }>(reads[2] as string);
    assert.deepEqual(
      agg.body.items.map((b) => b.count),
      [360, 360],
    );
    assertProblem(await viewer.post('/api/v1/telemetry/retention'), 403, 'AUTH_FORBIDDEN');
    assertProblem(await anon.post('/api/v1/telemetry/retention'), 401, 'AUTH_UNAUTHENTICATED');
  });

  test('retention: a shortened profile retention removes old raw points and events when applied', async () => {
    const p = await admin.post('/api/v1/profiles', { id: 'short', retentionDays: 2 });
    assert.equal(p.status, 201, JSON.stringify(p.body));
    const d = await createDevice(admin, { id: 'old-1', profile: 'short' });
    const now = Date.now();
    const points = [
      { key: 'v', ts: now - 36 * HOUR, value: 1 },
      { key: 'v', ts: now - 30 * HOUR, value: 2 },
      { key: 'v', ts: now - HOUR, value: 3 },
      { key: 'v', ts: now - 10 * MINUTE, value: 4 },
    ];
    await sendPoints(app, d, points);
    // Older than the profile's 2 days: refused, the rest kept.
    const tooOld = await send(app, d, [
      { ts: now - 60 * HOUR, values: { v: 0 } },
      { ts: now - 5 * MINUTE, values: { v: 5 } },
    ]);
    assertProblem(tooOld, 422, 'DEVICE_HTTP_POINTS_REJECTED');
    assert.equal(tooOld.body.accepted, 1);
    points.push({ key: 'v', ts: now - 5 * MINUTE, value: 5 });
    const events = [
      { type: 'boot', ts: now - 36 * HOUR },
      { type: 'boot', ts: now - HOUR },
    ];
    assert.equal((await send(app, d, events, 'events')).status, 200);

    const history = () =>
      admin
        .get<List<RawItem>>(path('old-1', `keys=v&from=${now - 3 * DAY}&to=${now}`))
        .then((r) => r.body.items);
    assert.deepEqual(await history(), points.map(raw));
    const press1Before = (await admin.get<List<RawItem>>(path('press-1', `from=${B}&to=${END}&limit=10000`)))
      .body.items;
    assert.equal(press1Before.length, press1.length);

    assert.equal((await admin.patch('/api/v1/profiles/short', { retentionDays: 1 })).status, 200);
    const r = await admin.post<{ removed: number }>('/api/v1/telemetry/retention');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.removed, 3, 'two raw points and one event');

    assert.deepEqual(await history(), points.slice(2).map(raw));
    const ev = await admin.get<List<EventItem>>('/api/v1/devices/old-1/events');
    assert.deepEqual(
      ev.body.items.map((e) => e.ts),
      [now - HOUR],
    );
    // Rollups follow rollupRetentionDays (730 by default): old hours still chart.
    const hours = await admin.get<{ items: AggItem[] }>(
      path('old-1', `keys=v&from=${now - 3 * DAY}&to=${now}&interval=1h&agg=count,sum`),
    );
    assert.equal(
      hours.body.items.reduce((n, b) => n + (b.count ?? 0), 0),
      5,
    );
    // Devices of other profiles keep everything.
    assert.deepEqual(
      (await admin.get<List<RawItem>>(path('press-1', `from=${B}&to=${END}&limit=10000`))).body.items,
      press1Before,
    );
    assert.equal((await admin.post<{ removed: number }>('/api/v1/telemetry/retention')).body.removed, 0);
  });
});
