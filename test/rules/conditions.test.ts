/**
 * Every condition kind on the running platform: rules saved over REST
 * (`PUT /api/v1/rules/{name}`), real MQTT.js device clients, alarms read
 * back over REST. Each test checks that the alarm is raised exactly when it
 * should (the alarm's `raisedAt` is the time of the signal that made the
 * rule fire, so points carry device timestamps), cleared when the condition
 * stops holding, and never raised for values or devices that must not fire.
 *
 * Conditions that judge by time passing (`for`, sliding and tumbling
 * windows, inactivity) are stepped by the engine's clock about once a
 * second, so those tests use timestamps near the real time; the others use
 * timestamps in the past, which the engine's clock cannot disturb.
 *
 * "Nothing fired" needs to know the engine has seen the data: `settle`
 * sends a probe value that a catch-all rule turns into an alarm and clears
 * again; the engine takes one device's signals in order, so once the probe
 * alarm is stored every earlier point of that device has been judged.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient, connect, createDevice, end } from '../helpers/mqtt.js';
import { sleep, waitUntil } from '../helpers/mqtt-extra.js';

interface Alarm {
  readonly id: string;
  readonly device: string;
  readonly rule?: string;
  readonly type: string;
  readonly severity: string;
  readonly status: string;
  readonly message: string;
  readonly details?: { key?: string; value?: unknown };
  readonly raisedAt: number;
  readonly lastAt: number;
  readonly count: number;
  readonly clearedAt?: number;
  readonly clearedBy?: string;
}

type Values = Record<string, number | boolean | string | Record<string, number>>;

/** Every device of this file carries this label; the probe rule targets it. */
const LABELS = { suite: 'conditions' };

describe('rule conditions over MQTT', () => {
  let app: TestApp;
  let api: Client;
  const clients: MqttClient[] = [];
  const probes = new Map<string, number>();

  before(async () => {
    app = await startTestApp();
    api = await adminClient(app);
    await putRule('probe', {
      target: { labels: LABELS },
      condition: { type: 'threshold', key: 'probe', op: '>', value: 0 },
      alarm: { type: 'probe', severity: 'info' },
    });
  });
  after(async () => {
    await Promise.all(clients.map((c) => end(c)));
    await app?.stop();
  });

  async function putRule(name: string, body: Record<string, unknown>): Promise<void> {
    const r = await api.call('PUT', `/api/v1/rules/${name}`, body);
    assert.ok([200, 201].includes(r.status), `${name}: ${r.status} ${JSON.stringify(r.body)}`);
  }

  /** Registers a device (with the suite's label) and connects it over MQTT. */
  async function device(id: string, extra: Record<string, unknown> = {}): Promise<MqttClient> {
    const d = await createDevice(api, { id, labels: LABELS, ...extra });
    const c = await connect(app, d);
    clients.push(c);
    return c;
  }

  const idOf = (c: MqttClient) => c.options.clientId as string;

  /** Publishes points with device timestamps (QoS 1: resolves once they are stored). */
  async function send(c: MqttClient, points: [number, Values][]): Promise<void> {
    const body = points.map(([ts, values]) => ({ ts, values }));
    await c.publishAsync(`devices/${idOf(c)}/telemetry`, JSON.stringify(body), { qos: 1 });
  }

  async function sendEvent(c: MqttClient, event: Record<string, unknown>): Promise<void> {
    await c.publishAsync(`devices/${idOf(c)}/events`, JSON.stringify(event), { qos: 1 });
  }

  async function alarms(q: Record<string, string>): Promise<Alarm[]> {
    const r = await api.get<{ items: Alarm[] }>(`/api/v1/alarms?${new URLSearchParams(q)}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.items;
  }

  /** The rule's alarms for one device, oldest first. */
  async function alarmsOf(rule: string, device: string): Promise<Alarm[]> {
    return (await alarms({ rule, device })).sort((a, b) => a.raisedAt - b.raisedAt);
  }

  /** Waits until the rule's alarms for the device satisfy `ok`, and returns them. */
  async function waitAlarms(
    rule: string,
    device: string,
    ok: (a: Alarm[]) => boolean,
    what: string,
    timeoutMs = 5000,
  ): Promise<Alarm[]> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const list = await alarmsOf(rule, device);
      if (ok(list)) return list;
      if (Date.now() > until) {
        throw new Error(`timed out waiting for ${what}; alarms: ${JSON.stringify(list)}`);
      }
      await sleep(40);
    }
  }

  /** Returns once the engine has judged everything the device sent before (see the file comment). */
  async function settle(c: MqttClient): Promise<void> {
    const id = idOf(c);
    const n = (probes.get(id) ?? 0) + 1;
    probes.set(id, n);
    const now = Date.now();
    await send(c, [
      [now - 1, { probe: 1 }],
      [now, { probe: 0 }],
    ]);
    await waitAlarms(
      'probe',
      id,
      (a) => a.length === n && a.every((x) => x.status === 'cleared'),
      `probe ${n} of ${id}`,
    );
  }

  const at = (base: number, ms: number) => base + ms;

  test('threshold: raised by the first point over the line, cleared by the first one back; other devices untouched', async () => {
    await putRule('hot', {
      target: { devices: ['th-1'] },
      condition: { type: 'threshold', key: 'temperature', op: '>', value: 90 },
      alarm: { type: 'overheat', severity: 'major', message: '{{device}} at {{value}}' },
    });
    const d = await device('th-1');
    const other = await device('th-2');
    const base = Date.now() - 60_000;
    await send(other, [[base, { temperature: 99 }]]);
    await send(d, [
      [at(base, 0), { temperature: 85 }],
      [at(base, 1000), { temperature: 90 }], // not above 90
      [at(base, 2000), { temperature: 95 }], // fires here
      [at(base, 3000), { temperature: 97 }], // still holding: no new alarm
    ]);
    const [raised] = await waitAlarms('hot', 'th-1', (a) => a.length === 1, 'overheat alarm');
    assert.ok(raised);
    assert.deepEqual(
      [raised.status, raised.severity, raised.type, raised.raisedAt, raised.count, raised.message],
      ['active', 'major', 'overheat', at(base, 2000), 1, 'th-1 at 95'],
    );
    assert.deepEqual(raised.details?.value, 95);

    await send(d, [[at(base, 4000), { temperature: 80 }]]);
    const [cleared] = await waitAlarms('hot', 'th-1', (a) => a[0]?.status === 'cleared', 'auto clear');
    assert.deepEqual(
      [cleared?.clearedAt, cleared?.clearedBy],
      [at(base, 4000), 'rule:hot'],
      'cleared at the time of the first point back under the line',
    );
    await settle(other);
    assert.deepEqual(await alarmsOf('hot', 'th-2'), [], 'th-2 is not a target of the rule');
  });

  test('range: outside [2, 6] fires (bounds are inside), each new excursion is a new alarm; `inside` too', async () => {
    assert.equal((await api.post('/api/v1/groups', { id: 'line-1' })).status, 201);
    await putRule('pressure-out', {
      target: { groups: ['line-1'] },
      condition: { type: 'range', key: 'pressure', min: 2, max: 6 },
      alarm: { type: 'pressure', severity: 'minor' },
    });
    await putRule('pressure-ideal', {
      target: { groups: ['line-1'] },
      condition: { type: 'range', key: 'pressure', min: 4.5, max: 5.5, when: 'inside' },
      alarm: { type: 'ideal', severity: 'info' },
    });
    const d = await device('rg-1', { groups: ['line-1'] });
    const other = await device('rg-2');
    const base = Date.now() - 60_000;
    await send(other, [[base, { pressure: 10 }]]);
    await send(d, [
      [at(base, 0), { pressure: 4 }],
      [at(base, 1000), { pressure: 6 }], // the bound is inside
      [at(base, 2000), { pressure: 6.5 }], // out: raised
      [at(base, 3000), { pressure: 5 }], // back: cleared; ideal raised
      [at(base, 4000), { pressure: 1.5 }], // out again: a new alarm; ideal cleared
    ]);
    const out = await waitAlarms('pressure-out', 'rg-1', (a) => a.length === 2, 'two excursions');
    assert.deepEqual(
      out.map((a) => [a.raisedAt, a.status, a.clearedAt, a.details?.value]),
      [
        [at(base, 2000), 'cleared', at(base, 3000), 6.5],
        [at(base, 4000), 'active', undefined, 1.5],
      ],
    );
    const ideal = await waitAlarms('pressure-ideal', 'rg-1', (a) => a[0]?.status === 'cleared', 'ideal');
    assert.deepEqual(
      ideal.map((a) => [a.raisedAt, a.clearedAt]),
      [[at(base, 3000), at(base, 4000)]],
    );
    await settle(other);
    assert.deepEqual(await alarmsOf('pressure-out', 'rg-2'), [], 'rg-2 is not in the group');
  });

  test('window, sliding: the average over the last 2 s; old points slide out', async () => {
    assert.equal((await api.post('/api/v1/profiles', { id: 'mixer' })).status, 201);
    await putRule('load-avg', {
      target: { profile: 'mixer' },
      condition: { type: 'window', key: 'load', agg: 'avg', window: '2s', op: '>', value: 50 },
      alarm: { type: 'high-load', severity: 'warning' },
    });
    const d = await device('wn-1', { profile: 'mixer' });
    // No point is above 50, so however the engine's clock expires these
    // points, no window of them may fire.
    const t1 = Date.now();
    await send(d, [
      [t1 - 300, { load: 40 }],
      [t1 - 200, { load: 0 }],
      [t1 - 100, { load: 40 }],
      [t1, { load: 0 }],
    ]);
    await settle(d);
    assert.deepEqual(await alarmsOf('load-avg', 'wn-1'), [], 'avg 20 is not above 50');

    // Once these are older than the window, one 60 is the whole window.
    // (Over everything sent, the average would be 28.)
    await waitUntil(() => Date.now() > t1 + 2100, 3000, 'the window to pass');
    const t2 = Date.now();
    await send(d, [[t2, { load: 60 }]]);
    const [raised] = await waitAlarms('load-avg', 'wn-1', (a) => a.length === 1, 'high load');
    assert.deepEqual([raised?.raisedAt, raised?.status], [t2, 'active']);

    // A 0 right after: the window is [60, 0], average 30: cleared.
    await sleep(100);
    const t3 = Date.now();
    await send(d, [[t3, { load: 0 }]]);
    const [cleared] = await waitAlarms('load-avg', 'wn-1', (a) => a[0]?.status === 'cleared', 'clear');
    assert.equal(cleared?.clearedBy, 'rule:load-avg');
    assert.ok(
      cleared?.clearedAt !== undefined && cleared.clearedAt >= t2 && cleared.clearedAt <= t3,
      `cleared by the 0 (or the 60 leaving the window): ${cleared?.clearedAt} in [${t2}, ${t3}]`,
    );
  });

  test('window, tumbling: judged only when each 1 s window closes', async () => {
    await putRule('load-block', {
      target: { devices: ['tb-1', 'tb-2'] },
      condition: {
        type: 'window',
        key: 'load',
        agg: 'avg',
        window: '1s',
        mode: 'tumbling',
        op: '>',
        value: 50,
      },
      alarm: { type: 'high-load', severity: 'warning' },
    });
    const d = await device('tb-1');
    const low = await device('tb-2');
    // Start early in a window (windows are aligned on the epoch).
    await waitUntil(() => Date.now() % 1000 >= 20 && Date.now() % 1000 < 250, 2000, 'a fresh window');
    const w = Math.floor(Date.now() / 1000) * 1000;
    await Promise.all([
      send(d, [
        [w + 5, { load: 60 }],
        [w + 10, { load: 70 }],
        [w + 15, { load: 80 }],
      ]),
      send(low, [
        [w + 5, { load: 40 }],
        [w + 10, { load: 50 }],
        [w + 15, { load: 55 }],
      ]),
    ]);
    // Judged when the window closes, not at each point: the alarm's time says which.
    const [raised] = await waitAlarms('load-block', 'tb-1', (a) => a.length === 1, 'window closed', 4000);
    assert.ok(
      raised && raised.raisedAt >= w + 1000,
      `raised before the window closed: ${JSON.stringify(raised)}`,
    );
    // The next window holds nothing: when it closes the alarm clears.
    const [cleared] = await waitAlarms(
      'load-block',
      'tb-1',
      (a) => a[0]?.status === 'cleared',
      'cleared after an empty window',
      4000,
    );
    assert.ok(cleared?.clearedAt !== undefined && cleared.clearedAt >= w + 2000);
    await settle(low);
    assert.deepEqual(await alarmsOf('load-block', 'tb-2'), [], 'average 48.3 is not above 50');
  });

  test('rate: rising faster than 5 per second, measured on the device timestamps', async () => {
    await putRule('level-rise', {
      target: { devices: ['rt-1', 'rt-2'] },
      condition: { type: 'rate', key: 'level', op: '>', value: 5 },
      alarm: { type: 'filling-fast', severity: 'minor' },
    });
    const d = await device('rt-1');
    const slow = await device('rt-2');
    const base = Date.now() - 60_000;
    await send(slow, [
      [at(base, 0), { level: 10 }],
      [at(base, 10_000), { level: 25 }], // +15 in 10 s: 1.5/s
    ]);
    await send(d, [
      [at(base, 0), { level: 10 }],
      [at(base, 2000), { level: 18 }], // 4/s
      [at(base, 3000), { level: 25 }], // 7/s: fires
      [at(base, 4000), { level: 26 }], // 1/s: clears
    ]);
    const [a] = await waitAlarms('level-rise', 'rt-1', (x) => x[0]?.status === 'cleared', 'rate alarm');
    assert.deepEqual([a?.raisedAt, a?.details?.value, a?.clearedAt], [at(base, 3000), 25, at(base, 4000)]);
    await settle(slow);
    assert.deepEqual(await alarmsOf('level-rise', 'rt-2'), [], '1.5 per second is not above 5');
  });

  test('anomaly: a spike after the baseline fires; the same spike during warm-up does not', async () => {
    await putRule('vibration', {
      target: { devices: ['an-1', 'an-2'] },
      condition: { type: 'anomaly', key: 'vibration', threshold: 4, warmup: 10 },
      alarm: { type: 'unusual-vibration', severity: 'minor' },
    });
    const d = await device('an-1');
    const young = await device('an-2');
    const base = Date.now() - 60_000;
    const normal = (i: number) => (i % 2 === 0 ? 0.95 : 1.05);
    const baseline: [number, Values][] = Array.from({ length: 30 }, (_, i) => [
      at(base, i * 100),
      { vibration: normal(i) },
    ]);
    await send(d, [
      ...baseline,
      [at(base, 3000), { vibration: 3 }], // far outside the baseline: fires
      [at(base, 3100), { vibration: 1 }], // normal again: clears
      [at(base, 3200), { vibration: 1.05 }],
    ]);
    await send(young, [
      ...baseline.slice(0, 5),
      [at(base, 500), { vibration: 3 }], // only 5 points of baseline: warming up
    ]);
    const [a] = await waitAlarms('vibration', 'an-1', (x) => x[0]?.status === 'cleared', 'anomaly alarm');
    assert.deepEqual([a?.raisedAt, a?.details?.value, a?.clearedAt], [at(base, 3000), 3, at(base, 3100)]);
    assert.equal((await alarmsOf('vibration', 'an-1')).length, 1, 'the baseline itself never fired');
    await settle(young);
    assert.deepEqual(await alarmsOf('vibration', 'an-2'), [], 'no judgement before the warm-up');
  });

  test('geofence: leaving a circle, entering a polygon (nested position keys)', async () => {
    const depot = { lat: 45.76, lon: 4.84 };
    await putRule('left-depot', {
      target: { devices: ['gf-1'] },
      condition: { type: 'geofence', area: { circle: { ...depot, radius: 300 } }, trigger: 'exit' },
      alarm: { type: 'left-depot', severity: 'info' },
    });
    const site: [number, number][] = [
      [45.7, 4.8],
      [45.7, 4.9],
      [45.8, 4.9],
      [45.8, 4.8],
    ];
    await putRule('on-site', {
      target: { devices: ['gf-2', 'gf-3'] },
      condition: {
        type: 'geofence',
        lat: 'location.lat',
        lon: 'location.lon',
        area: { polygon: site },
        trigger: 'enter',
      },
      alarm: { type: 'arrived', severity: 'info' },
    });
    const truck = await device('gf-1');
    const van = await device('gf-2');
    const parked = await device('gf-3');
    const base = Date.now() - 60_000;
    await send(truck, [
      [at(base, 0), { lat: 45.76, lon: 4.84 }], // at the depot
      [at(base, 1000), { lat: 45.761, lon: 4.84 }], // ~110 m: still inside
      [at(base, 2000), { lat: 45.77, lon: 4.84 }], // ~1.1 km: exit
      [at(base, 3000), { lat: 45.78, lon: 4.84 }], // further out: the edge is over
      [at(base, 4000), { lat: 45.76, lon: 4.841 }], // back in: no exit
    ]);
    await send(van, [
      [at(base, 0), { location: { lat: 45.6, lon: 4.85 } }],
      [at(base, 1000), { location: { lat: 45.75, lon: 4.85 } }], // enters
      [at(base, 2000), { location: { lat: 45.76, lon: 4.86 } }],
    ]);
    await send(parked, [
      [at(base, 0), { location: { lat: 45.75, lon: 4.85 } }], // first fix inside: no edge
      [at(base, 1000), { location: { lat: 45.76, lon: 4.86 } }],
    ]);
    const [exit] = await waitAlarms('left-depot', 'gf-1', (a) => a[0]?.status === 'cleared', 'exit');
    assert.deepEqual([exit?.raisedAt, exit?.clearedAt], [at(base, 2000), at(base, 3000)]);
    const [enter] = await waitAlarms('on-site', 'gf-2', (a) => a[0]?.status === 'cleared', 'enter');
    assert.deepEqual([enter?.raisedAt, enter?.clearedAt], [at(base, 1000), at(base, 2000)]);
    await Promise.all([settle(truck), settle(parked)]);
    assert.equal((await alarmsOf('left-depot', 'gf-1')).length, 1, 'coming back is not an exit');
    assert.deepEqual(await alarmsOf('on-site', 'gf-3'), [], 'starting inside is not entering');
  });

  test('inactivity: no data for 1 s, also from a device that never sent anything', async () => {
    await createDevice(api, { id: 'in-2', labels: LABELS }); // registered, never connects
    await createDevice(api, { id: 'in-3', labels: LABELS }); // not targeted
    await putRule('silent', {
      target: { devices: ['in-1', 'in-2'] },
      condition: { type: 'inactivity', after: '1s' },
      alarm: { type: 'no-data', severity: 'warning' },
    });
    const d = await device('in-1');
    let last = 0; // before the last publish: its point's time (the receive time) is later
    for (let i = 0; i < 6; i++) {
      last = Date.now();
      await d.publishAsync('devices/in-1/telemetry', JSON.stringify({ level: i }), { qos: 1 });
      await sleep(250);
    }
    const [raised] = await waitAlarms('silent', 'in-1', (a) => a.length === 1, 'in-1 silent', 4000);
    assert.ok(
      raised && raised.raisedAt >= last + 1000,
      `raised ${raised && raised.raisedAt - last} ms after the last point, not while it was sending`,
    );
    await waitAlarms('silent', 'in-2', (a) => a.length === 1, 'in-2 never sent anything', 4000);

    const back = Date.now();
    await d.publishAsync('devices/in-1/telemetry', JSON.stringify({ level: 9 }), { qos: 1 });
    const [cleared] = await waitAlarms('silent', 'in-1', (a) => a[0]?.status === 'cleared', 'data again');
    assert.ok(cleared?.clearedAt !== undefined && cleared.clearedAt >= back);
    assert.deepEqual(await alarmsOf('silent', 'in-3'), [], 'in-3 is not a target');
  });

  test('status: a disconnect makes the device offline; reconnecting clears it', async () => {
    await putRule('offline', {
      target: { devices: ['st-1'] },
      condition: { type: 'status', is: 'offline' },
      alarm: { type: 'offline', severity: 'major' },
    });
    const d1 = await createDevice(api, { id: 'st-1', labels: LABELS });
    const d2 = await createDevice(api, { id: 'st-2', labels: LABELS });
    const c1 = await connect(app, d1);
    const c2 = await connect(app, d2);
    await Promise.all([settle(c1), settle(c2)]);
    assert.deepEqual(await alarmsOf('offline', 'st-1'), [], 'online: nothing');
    const gone = Date.now();
    await Promise.all([end(c1), end(c2)]);
    const [raised] = await waitAlarms('offline', 'st-1', (a) => a.length === 1, 'offline alarm');
    assert.ok(raised && raised.raisedAt >= gone, 'raised at the disconnect');
    const again = await connect(app, d1);
    clients.push(again);
    await waitAlarms('offline', 'st-1', (a) => a[0]?.status === 'cleared', 'back online');
    assert.deepEqual(await alarmsOf('offline', 'st-2'), [], 'st-2 is not a target');
  });

  test('event: only events of the type with the `where` fields fire; each one counts', async () => {
    await putRule('fault-e42', {
      target: { devices: ['ev-1'] },
      condition: { type: 'event', eventType: 'fault', where: { code: 'E42' } },
      alarm: { type: 'fault', severity: 'critical', autoClear: false },
    });
    const d = await device('ev-1');
    const other = await device('ev-2');
    const base = Date.now() - 60_000;
    await sendEvent(other, { type: 'fault', ts: base, code: 'E42' });
    await sendEvent(d, { type: 'fault', ts: at(base, 0), code: 'E7' });
    await sendEvent(d, { type: 'door_open', ts: at(base, 1000), code: 'E42' });
    await sendEvent(d, { type: 'fault', ts: at(base, 2000), code: 'E42', extra: 1 });
    const [raised] = await waitAlarms('fault-e42', 'ev-1', (a) => a.length === 1, 'fault alarm');
    assert.deepEqual([raised?.raisedAt, raised?.severity, raised?.count], [at(base, 2000), 'critical', 1]);
    await sendEvent(d, { type: 'door_open', ts: at(base, 3000) });
    await sendEvent(d, { type: 'fault', ts: at(base, 4000), code: 'E42' });
    const [again] = await waitAlarms('fault-e42', 'ev-1', (a) => a[0]?.count === 2, 'second fault');
    assert.deepEqual(
      [again?.status, again?.lastAt],
      ['active', at(base, 4000)],
      'no autoClear: the open alarm counts up',
    );
    await settle(other);
    assert.deepEqual(await alarmsOf('fault-e42', 'ev-2'), [], 'ev-2 is not a target');
  });

  test('all / any / not combine conditions', async () => {
    await putRule('hot-no-fan', {
      target: { devices: ['cb-1'] },
      condition: {
        type: 'all',
        conditions: [
          { type: 'threshold', key: 'temperature', op: '>', value: 80 },
          { type: 'not', condition: { type: 'threshold', key: 'fan', op: '==', value: true } },
        ],
      },
      alarm: { type: 'hot-no-fan', severity: 'major' },
    });
    await putRule('trouble', {
      target: { devices: ['cb-1'] },
      condition: {
        type: 'any',
        conditions: [
          { type: 'threshold', key: 'temperature', op: '>', value: 100 },
          { type: 'threshold', key: 'pressure', op: '<', value: 1 },
        ],
      },
      alarm: { type: 'trouble', severity: 'minor' },
    });
    const d = await device('cb-1');
    const base = Date.now() - 60_000;
    await send(d, [
      [at(base, 0), { temperature: 85, fan: true, pressure: 2 }], // hot, but the fan runs
      [at(base, 1000), { fan: false }], // all: fires
      [at(base, 2000), { temperature: 70 }], // all: clears
      [at(base, 3000), { pressure: 0.5 }], // any: fires
      [at(base, 4000), { pressure: 2 }], // any: clears
      [at(base, 5000), { temperature: 105 }], // any: fires again; all: fires again (fan off)
    ]);
    const all = await waitAlarms('hot-no-fan', 'cb-1', (a) => a.length === 2, 'all');
    assert.deepEqual(
      all.map((a) => [a.raisedAt, a.clearedAt, a.status]),
      [
        [at(base, 1000), at(base, 2000), 'cleared'],
        [at(base, 5000), undefined, 'active'],
      ],
    );
    const any = await waitAlarms('trouble', 'cb-1', (a) => a.length === 2, 'any');
    assert.deepEqual(
      any.map((a) => [a.raisedAt, a.clearedAt, a.details?.key]),
      [
        [at(base, 3000), at(base, 4000), 'pressure'],
        [at(base, 5000), undefined, 'temperature'],
      ],
    );
  });

  test('for: must hold without a break; a quiet device completes it on the server clock', async () => {
    await putRule('hot-2s', {
      target: { devices: ['fo-1', 'fo-2', 'fo-3'] },
      condition: { type: 'threshold', key: 'temperature', op: '>', value: 90, for: '2s' },
      alarm: { type: 'overheat', severity: 'major', message: '{{device}} at {{value}}' },
    });
    const quiet = await device('fo-1');
    const broken = await device('fo-2');
    const backlog = await device('fo-3');

    // A backlog in one message: holds from +2000 to +4100 without a break.
    const base = Date.now() - 60_000;
    await send(backlog, [
      [at(base, 0), { temperature: 95 }],
      [at(base, 1000), { temperature: 96 }],
      [at(base, 1500), { temperature: 80 }], // a break: starts over
      [at(base, 2000), { temperature: 95 }],
      [at(base, 3000), { temperature: 96 }],
      [at(base, 3900), { temperature: 97 }], // 1900 ms since +2000: not yet
      [at(base, 4100), { temperature: 98 }], // 2100 ms: fires here
    ]);
    // Never 2 s in a row, then back to normal.
    await send(broken, [
      [at(base, 0), { temperature: 95 }],
      [at(base, 1900), { temperature: 80 }],
      [at(base, 2000), { temperature: 99 }],
      [at(base, 3500), { temperature: 70 }],
    ]);
    // Over the line now, then nothing more: the engine's clock completes the 2 s.
    const t = Date.now();
    await send(quiet, [[t, { temperature: 95 }]]);

    const [fromData] = await waitAlarms('hot-2s', 'fo-3', (a) => a.length === 1, 'backlog alarm');
    assert.deepEqual([fromData?.raisedAt, fromData?.message], [at(base, 4100), 'fo-3 at 98']);

    const [byClock] = await waitAlarms('hot-2s', 'fo-1', (a) => a.length === 1, 'quiet device', 4000);
    assert.ok(byClock && byClock.raisedAt >= t + 2000, `raised ${byClock && byClock.raisedAt - t} ms after`);

    await send(backlog, [[at(base, 5000), { temperature: 50 }]]);
    const [cleared] = await waitAlarms('hot-2s', 'fo-3', (a) => a[0]?.status === 'cleared', 'cooled');
    assert.equal(cleared?.clearedAt, at(base, 5000));
    await settle(broken);
    assert.deepEqual(await alarmsOf('hot-2s', 'fo-2'), [], 'never 2 s without a break');
    // The clock completed the duration, but what has been over the line is the last point, 95:
    // the alarm (and the actions' {{value}}) must name it.
    assert.equal(byClock?.message, 'fo-1 at 95', 'the alarm names the value that has been over the line');
  });

  test('for: a device clock running ahead of the server does not make the alarm flap', async () => {
    await putRule('hot-1s-ahead', {
      target: { devices: ['fa-1'] },
      condition: { type: 'threshold', key: 'temperature', op: '>', value: 90, for: '1s' },
      alarm: { type: 'overheat', severity: 'major' },
    });
    const d = await device('fa-1');
    // The device's clock is 3 s ahead (allowed: up to 10 minutes in the future).
    const ahead = Date.now() + 3000;
    await send(d, [
      [ahead, { temperature: 95 }],
      [ahead + 1500, { temperature: 96 }], // held for 1.5 s by the data: fires
    ]);
    const [raised] = await waitAlarms('hot-1s-ahead', 'fa-1', (a) => a.length === 1, 'raised');
    assert.equal(raised?.raisedAt, ahead + 1500);
    // The engine's clock ticks about once a second; the data still says "over the line".
    await sleep(2200);
    const after = await alarmsOf('hot-1s-ahead', 'fa-1');
    assert.deepEqual(
      after.map((a) => a.status),
      ['active'],
      'nothing said the temperature went down: the alarm stays active',
    );
  });
});
