/**
 * The device HTTP API (ARCHITECTURE §5: HTTP mirrors MQTT under /device/v1/):
 * real requests with fetch and curl, Basic auth with the device id and
 * secret, answers only after the data is stored; stored data is read back
 * through the operator REST API.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { encode } from 'cbor-x';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { DeviceBody, Problem } from '../helpers/fixtures.js';
import type { Client } from '../helpers/http.js';
import { adminClient, createDevice, type TestDevice } from '../helpers/mqtt.js';
import { run, sleep, tenantApi } from '../helpers/mqtt-extra.js';
import { assertBetween, basic, createProfile, events, history, latest } from './ingest-helpers.js';

const DAY = 86_400_000;

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

/** POSTs a device request; `type: null` sends no Content-Type at all. */
async function post(
  url: string,
  path: '/device/v1/telemetry' | '/device/v1/events',
  body: string | Uint8Array,
  opts: { auth?: string; type?: string | null } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.auth !== undefined) headers.authorization = opts.auth;
  const type = opts.type === undefined ? 'application/json' : opts.type;
  if (type !== null) headers['content-type'] = type;
  // A Uint8Array body makes fetch send no Content-Type of its own.
  const payload = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const res = await fetch(url + path, { method: 'POST', headers, body: payload });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { text };
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

function assertProblemAnswer(r: Answer, status: number, code: string): Problem {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status} ${JSON.stringify(r.body)}`);
  assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
  const p = r.body as unknown as Problem;
  assert.equal(p.code, code, JSON.stringify(p));
  assert.equal(p.status, status);
  assert.ok(typeof p.detail === 'string' && p.detail.length > 0, 'detail says what is wrong');
  return p;
}

describe('device HTTP API: telemetry and events', () => {
  let app: TestApp;
  let api: Client;
  let url: string;

  before(async () => {
    // Failed logins are counted per address and every request here comes from 127.0.0.1:
    // the throttle gets its own app below, so the 401 cases here cannot hold back the others.
    app = await startTestApp({ env: { PLEXUS_AUTH_MAX_FAILURES: '100' } });
    api = await adminClient(app);
    url = app.url;
    await createProfile(api, { id: 'cbor-dev', codec: 'cbor' });
    await createProfile(api, { id: 'senml-dev', codec: 'senml+json' });
    await createProfile(api, {
      id: 'strict',
      telemetry: {
        temperature: { type: 'number', unit: 'Cel', min: -40, max: 125 },
        running: { type: 'boolean' },
      },
    });
    await createProfile(api, { id: 'fast-idle', inactivityTimeout: 1 });
  });
  after(() => app.stop());

  const device = (id: string, profile?: string): Promise<TestDevice> =>
    createDevice(api, { id, ...(profile === undefined ? {} : { profile }) });
  const auth = (d: TestDevice) => basic(d.id, d.secret, d.tenant);
  const telemetry = (d: TestDevice, body: string | Uint8Array, type?: string | null) =>
    post(url, '/device/v1/telemetry', body, { auth: auth(d), ...(type === undefined ? {} : { type }) });

  test('JSON: 200 {accepted, rejected: []} once stored (flat, nested, {ts, values}, arrays)', async () => {
    const d = await device('h-json');
    const before = Date.now();
    const r = await telemetry(d, '{"temp":21.5,"door":{"open":false},"state":"idle"}');
    const afterAnswer = Date.now();
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { accepted: 3, rejected: [] });
    // Answered after the commit: readable right away.
    const l = await latest(api, d.id);
    assert.deepEqual(Object.fromEntries(Object.entries(l).map(([k, v]) => [k, v.value])), {
      'door.open': false,
      state: 'idle',
      temp: 21.5,
    });
    assertBetween(l.temp?.ts as number, before, afterAnswer, 'receive time');

    const t0 = Date.now() - 120_000;
    const arr = await telemetry(
      d,
      JSON.stringify([
        { ts: t0, values: { temp: 19 } },
        { ts: t0 + 60_000, values: { temp: 20, door: { open: true } } },
      ]),
      'application/json; charset=utf-8',
    );
    assert.deepEqual([arr.status, arr.body], [200, { accepted: 3, rejected: [] }]);
    assert.deepEqual(
      (await history(api, d.id, { keys: ['temp'] })).map((p) => [p.ts, p.value]),
      [
        [t0, 19],
        [t0 + 60_000, 20],
        [l.temp?.ts, 21.5],
      ],
    );
    assert.deepEqual(await history(api, d.id, { keys: ['door.open'], to: t0 + 60_000 }), [
      { key: 'door.open', ts: t0 + 60_000, value: true },
    ]);
  });

  test('CBOR: by content type, and by a cbor profile with application/octet-stream or no content type', async () => {
    const d = await device('h-cbor');
    const t0 = Date.now() - 5000;
    const r = await telemetry(
      d,
      encode({ ts: t0, values: { pressure: 1013.25, ok: true } }),
      'application/cbor',
    );
    assert.deepEqual([r.status, r.body], [200, { accepted: 2, rejected: [] }]);
    assert.deepEqual(await history(api, d.id, { keys: ['ok', 'pressure'] }), [
      { key: 'ok', ts: t0, value: true },
      { key: 'pressure', ts: t0, value: 1013.25 },
    ]);

    const p = await device('h-cbor-prof', 'cbor-dev');
    const octets = await telemetry(p, encode({ rpm: 900 }), 'application/octet-stream');
    assert.deepEqual([octets.status, octets.body], [200, { accepted: 1, rejected: [] }]);
    const bare = await telemetry(p, encode({ rpm: 950 }), null);
    assert.deepEqual(
      [bare.status, bare.body],
      [200, { accepted: 1, rejected: [] }],
      'no Content-Type: the profile codec',
    );
    // A content type still overrides the profile.
    const json = await telemetry(p, '{"rpm":990}', 'application/json');
    assert.deepEqual([json.status, json.body], [200, { accepted: 1, rejected: [] }]);
    assert.deepEqual(
      (await history(api, p.id, { keys: ['rpm'] })).map((x) => x.value),
      [900, 950, 990],
    );
  });

  test('SenML JSON: the RFC 8428 §5.1.2 multiple-datapoints example, and a senml+json profile', async () => {
    const d = await device('h-senml');
    const body = `[
     {"bn":"urn:dev:ow:10e2073a01080063:","n":"voltage","u":"V","v":120.1},
     {"n":"current","u":"A","v":1.2}
   ]`;
    const before = Date.now();
    const r = await telemetry(d, body, 'application/senml+json');
    assert.deepEqual([r.status, r.body], [200, { accepted: 2, rejected: [] }]);
    const l = await latest(api, d.id);
    assert.deepEqual(Object.keys(l), [
      'urn:dev:ow:10e2073a01080063:current',
      'urn:dev:ow:10e2073a01080063:voltage',
    ]);
    assert.equal(l['urn:dev:ow:10e2073a01080063:voltage']?.value, 120.1);
    assert.equal(l['urn:dev:ow:10e2073a01080063:current']?.value, 1.2);
    assertBetween(l['urn:dev:ow:10e2073a01080063:voltage']?.ts as number, before, Date.now());

    // The timed variant of §5.1.2 (June 2010) is older than the default 30-day retention: 422, nothing kept.
    const timed = await telemetry(
      d,
      JSON.stringify([
        {
          bn: 'urn:dev:ow:10e2073a0108006:',
          bt: 1.276020076001e9,
          bu: 'A',
          bver: 5,
          n: 'voltage',
          u: 'V',
          v: 120.1,
        },
        { n: 'current', t: -5, v: 1.2 },
        { n: 'current', v: 1.7 },
      ]),
      'application/senml+json',
    );
    const p = assertProblemAnswer(timed, 422, 'DEVICE_HTTP_POINTS_REJECTED');
    assert.equal(timed.body.accepted, 0);
    assert.deepEqual(
      p.errors?.map((e) => e.path),
      [
        '/urn:dev:ow:10e2073a0108006:voltage',
        '/urn:dev:ow:10e2073a0108006:current',
        '/urn:dev:ow:10e2073a0108006:current',
      ],
    );
    assert.ok(
      p.errors?.every((e) => /retention of 30 days/.test(e.message)),
      JSON.stringify(p.errors),
    );

    const s = await device('h-senml-prof', 'senml-dev');
    const bt = Math.floor(Date.now() / 1000) - 60;
    const prof = await telemetry(s, JSON.stringify([{ bn: 'tank.', bt, n: 'level', v: 71 }]), null);
    assert.deepEqual([prof.status, prof.body], [200, { accepted: 1, rejected: [] }]);
    assert.deepEqual(await history(api, s.id, { keys: ['tank.level'] }), [
      { key: 'tank.level', ts: bt * 1000, value: 71 },
    ]);
  });

  test('422 with per-point errors and `accepted`; the valid points are stored', async () => {
    const d = await device('h-422');
    const r = await telemetry(d, '{"temp":21.5,"bad":null,"nested":{"list":[1,2]}}');
    const p = assertProblemAnswer(r, 422, 'DEVICE_HTTP_POINTS_REJECTED');
    assert.equal(r.body.accepted, 1);
    assert.deepEqual(
      p.errors?.map((e) => e.path),
      ['/bad', '/nested.list'],
    );
    assert.match(p.errors?.[0]?.message ?? '', /null is not a storable value/);
    assert.match(p.errors?.[1]?.message ?? '', /arrays are not stored/);
    assert.deepEqual(Object.keys(await latest(api, d.id)), ['temp']);

    const t0 = Date.now() - 1000;
    const arr = await telemetry(
      d,
      JSON.stringify([{ ts: t0, values: { level: 1 } }, { ts: 'yesterday', values: { level: 2 } }, 5]),
    );
    const pa = assertProblemAnswer(arr, 422, 'DEVICE_HTTP_POINTS_REJECTED');
    assert.equal(arr.body.accepted, 1);
    assert.deepEqual(
      pa.errors?.map((e) => e.path),
      ['/1/ts', '/2'],
    );
    assert.deepEqual(await history(api, d.id, { keys: ['level'] }), [{ key: 'level', ts: t0, value: 1 }]);

    const now = Date.now();
    const clock = await telemetry(
      d,
      JSON.stringify([
        { ts: now + 3_600_000, values: { x: 1 } },
        { ts: Date.UTC(1999, 0, 1), values: { x: 2 } },
        { ts: now - 40 * DAY, values: { x: 3 } },
        { ts: now - 1000, values: { x: 4 } },
      ]),
    );
    const pc = assertProblemAnswer(clock, 422, 'DEVICE_HTTP_POINTS_REJECTED');
    assert.equal(clock.body.accepted, 1);
    assert.deepEqual(
      pc.errors?.map((e) => e.message.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z|\d{12,}/, 'T')),
      [
        'timestamp T is more than 10 minutes in the future',
        'timestamp T is before 2000-01-01 (device clock not set?)',
        "timestamp T is older than the profile's retention of 30 days",
      ],
    );
    assert.deepEqual(await history(api, d.id, { keys: ['x'] }), [{ key: 'x', ts: now - 1000, value: 4 }]);

    const s = await device('h-strict', 'strict');
    const strict = await telemetry(s, '{"temperature":500,"running":"no","note":"kept"}');
    const ps = assertProblemAnswer(strict, 422, 'DEVICE_HTTP_POINTS_REJECTED');
    assert.equal(strict.body.accepted, 1);
    assert.deepEqual(ps.errors, [
      { path: '/temperature', message: '500 is above the maximum 125' },
      { path: '/running', message: 'expected a boolean, got a string' },
    ]);
    const none = await telemetry(s, '{"temperature":-50}');
    assertProblemAnswer(none, 422, 'DEVICE_HTTP_POINTS_REJECTED');
    assert.equal(none.body.accepted, 0);
    assert.deepEqual(Object.keys(await latest(api, s.id)), ['note']);
  });

  test('400 for a body that cannot be decoded; nothing is stored', async () => {
    const d = await device('h-400');
    const cases: [string | Uint8Array, string, RegExp][] = [
      ['{"temp": 2', 'application/json', /telemetry payload \(json\): invalid JSON/],
      ['', 'application/json', /invalid JSON/],
      [
        new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
        'application/json',
        /not valid UTF-8/,
      ],
      ['"just a string"', 'application/json', /top level must be an object or an array/],
      [
        Buffer.concat([Buffer.from([0x1c]), randomBytes(63)]),
        'application/cbor',
        /telemetry payload \(cbor\): invalid CBOR/,
      ],
      ['{"n":"x","v":1}', 'application/senml+json', /SenML pack must be an array/],
    ];
    for (const [body, type, detail] of cases) {
      const r = await telemetry(d, body, type);
      const p = assertProblemAnswer(r, 400, 'DEVICE_HTTP_PAYLOAD_INVALID');
      assert.match(p.detail, detail);
    }
    assert.deepEqual(await latest(api, d.id), {});
  });

  test('415 for a content type that names no codec', async () => {
    const d = await device('h-415');
    for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded']) {
      const r = await telemetry(d, '{"temp":1}', type);
      const p = assertProblemAnswer(r, 415, 'DEVICE_HTTP_UNSUPPORTED_MEDIA_TYPE');
      assert.match(p.detail, new RegExp(type.replace('/', '\\/')));
    }
    assert.deepEqual(await latest(api, d.id), {});
  });

  test('401 with WWW-Authenticate without, or with wrong, credentials; nothing is stored', async () => {
    const d = await device('h-401');
    const other = await device('h-401-other');
    const disabled = await device('h-401-off');
    assert.equal((await api.patch(`/api/v1/devices/${disabled.id}`, { enabled: false })).status, 200);
    const attempts: [string, string | undefined][] = [
      ['no Authorization', undefined],
      ['a Bearer token', 'Bearer abc'],
      ['Basic without a colon', `Basic ${Buffer.from(d.id).toString('base64')}`],
      ['a wrong secret', basic(d.id, `${d.secret.slice(0, -2)}xx`)],
      ["another device's secret", basic(d.id, other.secret)],
      ['an unknown device', basic('h-nobody', d.secret)],
      ['an unknown tenant', basic(d.id, d.secret, 'nowhere')],
      ['a disabled device', basic(disabled.id, disabled.secret)],
    ];
    for (const [what, header] of attempts) {
      const r = await post(
        url,
        '/device/v1/telemetry',
        '{"temp":1}',
        header === undefined ? {} : { auth: header },
      );
      assert.equal(r.status, 401, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
      assertProblemAnswer(r, 401, 'DEVICE_HTTP_UNAUTHENTICATED');
      assert.match(r.headers.get('www-authenticate') ?? '', /^Basic realm="plexus-device"/, what);
    }
    const ev = await post(url, '/device/v1/events', '{"type":"x"}', { auth: basic(d.id, 'wrong') });
    assertProblemAnswer(ev, 401, 'DEVICE_HTTP_UNAUTHENTICATED');
    assert.deepEqual(await latest(api, d.id), {});
    assert.deepEqual(await latest(api, disabled.id), {});
    assert.deepEqual(await events(api, d.id), []);
  });

  test('curl: -u id:secret with a JSON body is stored; a wrong secret gets 401 and the challenge', async () => {
    const d = await device('h-curl');
    const target = `${url}/device/v1/telemetry`;
    const okRun = await run('curl', [
      '-sS',
      '-i',
      '-u',
      `${d.id}:${d.secret}`,
      '-H',
      'content-type: application/json',
      '--data-binary',
      '{"humidity":40.5,"fan":{"on":true}}',
      target,
    ]).done;
    assert.equal(okRun.code, 0, okRun.stderr);
    assert.match(okRun.stdout, /^HTTP\/1\.1 200 /);
    assert.deepEqual(JSON.parse(okRun.stdout.slice(okRun.stdout.indexOf('\r\n\r\n') + 4)), {
      accepted: 2,
      rejected: [],
    });
    assert.deepEqual(
      Object.fromEntries(Object.entries(await latest(api, d.id)).map(([k, v]) => [k, v.value])),
      { 'fan.on': true, humidity: 40.5 },
    );
    const bad = await run('curl', [
      '-sS',
      '-i',
      '-u',
      `${d.id}:not-the-secret`,
      '-H',
      'content-type: application/json',
      '--data-binary',
      '{"humidity":1}',
      target,
    ]).done;
    assert.match(bad.stdout, /^HTTP\/1\.1 401 /);
    assert.match(bad.stdout, /^www-authenticate: Basic realm="plexus-device"/im);
    assert.equal((await latest(api, d.id)).humidity?.value, 40.5);
  });

  test('tenant form id@tenant: the same id in two tenants, each gets only its own data', async () => {
    const acme = await tenantApi(app, api, 'acme');
    const mine = await device('press-7');
    const made = await acme.post<{ id: string; secret: string }>('/api/v1/devices', { id: 'press-7' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const theirs: TestDevice = { id: 'press-7', secret: made.body.secret, tenant: 'acme' };

    const r = await telemetry(theirs, '{"pressure":7.5}');
    assert.deepEqual([r.status, r.body], [200, { accepted: 1, rejected: [] }]);
    const ev = await post(url, '/device/v1/events', '{"type":"cycle_end"}', { auth: auth(theirs) });
    assert.equal(ev.status, 200, JSON.stringify(ev.body));
    assert.equal((await latest(acme, 'press-7')).pressure?.value, 7.5);
    assert.deepEqual(
      (await events(acme, 'press-7')).map((e) => e.type),
      ['cycle_end'],
    );
    assert.deepEqual(await latest(api, 'press-7'), {}, "default's press-7 got nothing");
    assert.deepEqual(await events(api, 'press-7'), []);

    // Each secret works only in its own tenant.
    for (const header of [basic('press-7', theirs.secret), basic('press-7', mine.secret, 'acme')]) {
      const x = await post(url, '/device/v1/telemetry', '{"pressure":1}', { auth: header });
      assertProblemAnswer(x, 401, 'DEVICE_HTTP_UNAUTHENTICATED');
    }
    const own = await telemetry(mine, '{"pressure":1.25}');
    assert.equal(own.status, 200);
    assert.equal((await latest(api, 'press-7')).pressure?.value, 1.25);
    assert.equal((await latest(acme, 'press-7')).pressure?.value, 7.5);
  });

  test('events: 200, 422 for a bad one among good ones, 400 for SenML; listed newest first', async () => {
    const d = await device('h-events');
    const ev = (body: string | Uint8Array, type?: string) =>
      post(url, '/device/v1/events', body, { auth: auth(d), ...(type === undefined ? {} : { type }) });
    const now = Date.now();
    const one = await ev(JSON.stringify({ type: 'door_open', zone: 3, ts: now - 3000 }));
    assert.deepEqual([one.status, one.body], [200, { accepted: 1, rejected: [] }]);
    const cbor = await ev(encode({ type: 'door_close', zone: 3, ts: now - 2000 }), 'application/cbor');
    assert.deepEqual([cbor.status, cbor.body], [200, { accepted: 1, rejected: [] }]);
    const mixed = await ev(JSON.stringify([{ type: 'alarm', code: 'E7', ts: now - 1000 }, { zone: 4 }]));
    const p = assertProblemAnswer(mixed, 422, 'DEVICE_HTTP_POINTS_REJECTED');
    assert.equal(mixed.body.accepted, 1);
    assert.deepEqual(
      p.errors?.map((e) => e.path),
      ['/1/type'],
    );
    const senml = await ev('[{"n":"x","v":1}]', 'application/senml+json');
    assertProblemAnswer(senml, 400, 'DEVICE_HTTP_PAYLOAD_INVALID');
    const old = await ev(JSON.stringify({ type: 'ancient', ts: Date.UTC(1998, 0, 1) }));
    assertProblemAnswer(old, 422, 'DEVICE_HTTP_POINTS_REJECTED');
    assert.equal(old.body.accepted, 0);

    assert.deepEqual(
      (await events(api, d.id)).map((e) => [e.type, e.ts, e.data]),
      [
        ['alarm', now - 1000, { code: 'E7' }],
        ['door_close', now - 2000, { zone: 3 }],
        ['door_open', now - 3000, { zone: 3 }],
      ],
    );
  });

  test("events: each error's path is the event's place in the payload, whichever check refused it", async () => {
    const d = await device('h-events-paths');
    const r = await post(
      url,
      '/device/v1/events',
      JSON.stringify([{ zone: 9 }, { type: 'late', ts: Date.now() + 3_600_000 }, { type: 'early', ts: 5 }]),
      { auth: auth(d) },
    );
    const p = assertProblemAnswer(r, 422, 'DEVICE_HTTP_POINTS_REJECTED');
    assert.equal(r.body.accepted, 0);
    // /0 has no type and /2 a ts in seconds (decoding); /1 is dated too far ahead (validation).
    assert.deepEqual(
      p.errors?.map((e) => e.path).sort(),
      ['/0/type', '/1/ts', '/2/ts'],
      JSON.stringify(p.errors),
    );
  });

  test('HTTP activity makes the device online; with inactivityTimeout 1 s it turns offline within ~7 s', async () => {
    const d = await device('h-idle', 'fast-idle');
    const status = async () =>
      (await api.get<DeviceBody & { lastSeen: string | null }>(`/api/v1/devices/${d.id}`)).body;
    assert.equal((await status()).status, 'unknown');
    const sent = Date.now();
    const r = await telemetry(d, '{"ping":1}');
    assert.equal(r.status, 200);
    const online = await poll(status, (s) => s.status === 'online', 2000);
    assert.equal(online.status, 'online', JSON.stringify(online));
    assert.ok(online.lastSeen !== null && Date.parse(online.lastSeen) >= sent - 1000, JSON.stringify(online));
    const offline = await poll(status, (s) => s.status === 'offline', 8000);
    assert.equal(offline.status, 'offline', 'silent for longer than the inactivity timeout');
    // Data again: online again.
    assert.equal((await post(url, '/device/v1/events', '{"type":"wake"}', { auth: auth(d) })).status, 200);
    const again = await poll(status, (s) => s.status === 'online', 2000);
    assert.equal(again.status, 'online');
  });
});

describe('device HTTP API: repeated authentication failures from one address', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ env: { PLEXUS_AUTH_MAX_FAILURES: '2' } });
  });
  after(() => app.stop());

  test('after auth.maxFailures wrong secrets the address gets 429 with Retry-After, then may try again', async () => {
    const api = await adminClient(app);
    const d = await createDevice(api, { id: 'h-guess' });
    const wrong = basic(d.id, 'guess');
    for (let i = 0; i < 2; i++) {
      assertProblemAnswer(
        await post(app.url, '/device/v1/telemetry', '{"a":1}', { auth: wrong }),
        401,
        'DEVICE_HTTP_UNAUTHENTICATED',
      );
    }
    const held = await post(app.url, '/device/v1/telemetry', '{"a":1}', { auth: wrong });
    assertProblemAnswer(held, 429, 'DEVICE_HTTP_TOO_MANY_FAILURES');
    const retry = Number(held.headers.get('retry-after'));
    assert.ok(Number.isInteger(retry) && retry >= 1, `Retry-After: ${held.headers.get('retry-after')}`);
    // While held, even the right secret is refused (a success must not reset a guesser's count).
    const right = await post(app.url, '/device/v1/telemetry', '{"a":1}', { auth: basic(d.id, d.secret) });
    assertProblemAnswer(right, 429, 'DEVICE_HTTP_TOO_MANY_FAILURES');
    assert.deepEqual(await latest(api, d.id), {});
    await sleep(retry * 1000 + 100);
    const later = await post(app.url, '/device/v1/telemetry', '{"a":2}', { auth: basic(d.id, d.secret) });
    assert.deepEqual([later.status, later.body], [200, { accepted: 1, rejected: [] }]);
    assert.equal((await latest(api, d.id)).a?.value, 2);
  });
});

/** Calls `get` until `done` holds or `timeoutMs` passes; returns the last value. */
async function poll<T>(get: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  let v = await get();
  while (!done(v) && Date.now() < until) {
    await sleep(100);
    v = await get();
  }
  return v;
}
