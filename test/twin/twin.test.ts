/**
 * Device twins (ARCHITECTURE §6.1, docs/twins.md) end to end: the operator REST
 * API (ETag / If-Match, merge patches, limits, roles, tenants, audit), devices
 * on MQTT 5, MQTT 3.1.1 with a persistent session and HTTP (reported in, desired
 * out, long poll), the live stream, a restart and deletion. Real clients only:
 * MQTT.js, the raw packet client where exact PUBACK codes matter, fetch and ws.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encode as encodeCbor } from 'cbor-x';
import mqtt, { type IClientOptions } from 'mqtt';
import type { IConnackPacket, IPubackPacket, IPublishPacket } from 'mqtt-packet';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { assertProblem, userClient } from '../helpers/fixtures.js';
import { type Client, client, type Reply } from '../helpers/http.js';
import { adminClient, createDevice, end, type TestDevice } from '../helpers/mqtt.js';
import { collect, deviceOpts, RawClient, sleep, tenantApi, waitUntil } from '../helpers/mqtt-extra.js';
import { assertBetween, basic } from '../telemetry/ingest-helpers.js';

type State = Record<string, unknown>;
interface Twin {
  desired: State;
  reported: State;
  delta: State;
  version: number;
  desiredVersion: number;
  reportedVersion: number;
  metadata: { desired: Record<string, number>; reported: Record<string, number> };
}
/** What a device receives on devices/{id}/twin/desired and from the HTTP long poll. */
type DesiredDoc = { version: number; state: State; delta: State };

const PAYLOAD_FORMAT_INVALID = 0x99;
const NO_DOC: DesiredDoc = { version: 0, state: {}, delta: {} };
const ver = (v: number, dv: number, rv: number) => ({ version: v, desiredVersion: dv, reportedVersion: rv });
const EMPTY: Twin = {
  desired: {},
  reported: {},
  delta: {},
  ...ver(0, 0, 0),
  metadata: { desired: {}, reported: {} },
};
const twinPath = (id: string) => `/api/v1/devices/${id}/twin`;
const desiredTopic = (id: string) => `devices/${id}/twin/desired`;
/** The document a device should be sent for this twin. */
const docOf = (t: Twin): DesiredDoc => ({ version: t.desiredVersion, state: t.desired, delta: t.delta });

/** The twin of a 200 answer, whose ETag must always be the twin's version. */
function twinOf(r: Reply<Twin>): Twin {
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.headers.get('etag'), `"${r.body.version}"`);
  return r.body;
}
const patchTwin = (api: Client, id: string, body: unknown, ifMatch?: string) =>
  api.patch<Twin>(twinPath(id), body, ifMatch === undefined ? {} : { 'if-match': ifMatch });
const getTwin = async (api: Client, id: string) => twinOf(await api.get<Twin>(twinPath(id)));
/** PATCHes desired (merge patch), expecting success. */
const setDesired = async (api: Client, id: string, desired: State, ifMatch?: string) =>
  twinOf(await patchTwin(api, id, { desired }, ifMatch));

/** `levels` objects, each inside the one before, around a number. */
const nested = (levels: number): State => JSON.parse(`${'{"n":'.repeat(levels)}1${'}'.repeat(levels)}`);

/** MQTT.js as a device, recording messages from the start: queued ones can arrive with the CONNACK. */
async function deviceClient(app: TestApp, d: TestDevice, opts: IClientOptions = {}) {
  const url = `mqtt://127.0.0.1:${app.mqttPort}`;
  const c = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 0, ...deviceOpts(d), ...opts });
  const got = collect(c);
  const connack = await new Promise<IConnackPacket>((resolve, reject) => {
    c.once('connect', resolve).once('error', reject);
  });
  return { c, got, connack };
}

/** The desired documents among the received messages, parsed. */
const docs = (got: { topic: string; payload: string }[], id: string): DesiredDoc[] =>
  got.filter((m) => m.topic === desiredTopic(id)).map((m) => JSON.parse(m.payload) as DesiredDoc);

/** A device HTTP request with Basic auth: GET, or (by default) PATCH when there is a JSON body. */
async function deviceHttp(app: TestApp, d: TestDevice, path: string, body?: string, method = 'PATCH') {
  const headers: Record<string, string> = { authorization: basic(d.id, d.secret, d.tenant) };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${app.url}/device/v1${path}`, {
    method: body === undefined ? 'GET' : method,
    headers,
    ...(body === undefined ? {} : { body: new TextEncoder().encode(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

describe('device twins: operator REST API', () => {
  let app: TestApp;
  let api: Client;

  before(async () => {
    // A small size limit keeps the TWIN_TOO_LARGE payloads small.
    app = await startTestApp({ env: { PLEXUS_TWIN_MAX_BYTES: '4096' } });
    api = await adminClient(app);
  });
  after(() => app.stop());

  test('a new twin is empty; merge patches set, merge and delete keys with versions and leaf times', async () => {
    await createDevice(api, { id: 'r1' });
    assert.deepEqual(await getTwin(api, 'r1'), EMPTY);

    const t0 = Date.now();
    const desired = { temp: { target: 21 }, mode: 'eco' };
    const one = await setDesired(api, 'r1', desired, '"0"');
    const t1 = Date.now();
    assert.deepEqual(one, { ...EMPTY, desired, delta: desired, ...ver(1, 1, 0), metadata: one.metadata });
    assert.deepEqual(Object.keys(one.metadata.desired).sort(), ['mode', 'temp.target']);
    for (const ts of Object.values(one.metadata.desired)) assertBetween(ts, t0, t1, 'leaf time');
    assert.deepEqual(one.metadata.reported, {});
    assert.deepEqual(await getTwin(api, 'r1'), one, 'GET shows what PATCH answered');

    // Objects merge, and only the leaves that changed get a new time.
    await sleep(5);
    const two = await setDesired(api, 'r1', { temp: { target: 22, hyst: 0.5 } });
    assert.deepEqual(two.desired, { temp: { target: 22, hyst: 0.5 }, mode: 'eco' });
    assert.equal(two.version, 2);
    assert.equal(two.metadata.desired.mode, one.metadata.desired.mode);
    assert.ok(Number(two.metadata.desired['temp.target']) > Number(one.metadata.desired['temp.target']));

    // null deletes the key and its time; deleting it again changes nothing, so no new version.
    const three = await setDesired(api, 'r1', { mode: null });
    assert.deepEqual(three.desired, { temp: { target: 22, hyst: 0.5 } });
    assert.deepEqual(three.delta, three.desired);
    assert.deepEqual(Object.keys(three.metadata.desired).sort(), ['temp.hyst', 'temp.target']);
    assert.equal(three.version, 3);
    assert.deepEqual(await setDesired(api, 'r1', { mode: null }), three);
    // "*" and a weak ETag are If-Match forms too.
    assert.equal((await setDesired(api, 'r1', { a: 1 }, '*')).version, 4);
    assert.equal((await setDesired(api, 'r1', { a: null }, 'W/"4"')).version, 5);
  });

  test('a stale If-Match gets 412 and changes nothing; bad patches get 400, oversized ones 413', async () => {
    await createDevice(api, { id: 'r2' });
    const base = await setDesired(api, 'r2', { mode: 'eco' });
    const now = await setDesired(api, 'r2', { mode: 'away' }); // someone else moved the twin on
    const stale = await patchTwin(api, 'r2', { desired: { mode: 'off' } }, `"${base.version}"`);
    assert.match(assertProblem(stale, 412, 'TWIN_VERSION_MISMATCH').detail, /version 2, not 1/);
    assert.deepEqual(await getTwin(api, 'r2'), now);
    assertProblem(await patchTwin(api, 'r2', { desired: { x: 1 } }, 'yesterday'), 400, 'TWIN_INVALID');

    // What the body schema refuses answers API_VALIDATION; what only the twin rules refuse, TWIN_INVALID.
    for (const body of [...[[1, 2], 'x', null].map((desired) => ({ desired })), {}, { desired: {}, x: 1 }]) {
      assertProblem(await patchTwin(api, 'r2', body), 400, 'API_VALIDATION');
    }
    assertProblem(await patchTwin(api, 'r2', '{"desired":'), 400, 'API_MALFORMED_JSON');
    for (const desired of [{ 'a.b': 1 }, { $set: 1 }, { '': 1 }, { ok: { 'x.y': true } }, nested(17)]) {
      const p = assertProblem(await patchTwin(api, 'r2', { desired }), 400, 'TWIN_INVALID');
      assert.match(p.detail, /^desired: /);
    }
    assert.deepEqual(await getTwin(api, 'r2'), now);
    assert.equal((await setDesired(api, 'r2', nested(16))).version, 3, '16 levels are allowed');
    await setDesired(api, 'r2', { n: null });

    // The limit applies to the document after the merge, not to the patch alone.
    await setDesired(api, 'r2', { a: 'x'.repeat(2500) });
    const full = await getTwin(api, 'r2');
    assertProblem(await patchTwin(api, 'r2', { desired: { b: 'y'.repeat(2500) } }), 413, 'TWIN_TOO_LARGE');
    assertProblem(await patchTwin(api, 'r2', { desired: { c: 'z'.repeat(5000) } }), 413, 'TWIN_TOO_LARGE');
    assert.deepEqual(await getTwin(api, 'r2'), full, 'refused patches change nothing');
  });

  test('viewers read but cannot patch; other tenants and unknown devices are 404; changes are audited', async () => {
    await createDevice(api, { id: 'r3' });
    await setDesired(api, 'r3', { mode: 'eco' });
    const viewer = await userClient(api, app.url, { username: 'twin-viewer', role: 'viewer' });
    assert.equal((await getTwin(viewer, 'r3')).version, 1);
    assertProblem(await patchTwin(viewer, 'r3', { desired: { mode: 'off' } }), 403, 'AUTH_FORBIDDEN');
    assert.deepEqual((await getTwin(api, 'r3')).desired, { mode: 'eco' }, 'the 403 changed nothing');

    const acme = await tenantApi(app, api, 'acme');
    await createDevice(acme, { id: 'acme-1' });
    assert.deepEqual(await getTwin(acme, 'acme-1'), EMPTY);
    const NOT_FOUND = 'REGISTRY_DEVICE_NOT_FOUND';
    assertProblem(await api.get(twinPath('acme-1')), 404, NOT_FOUND);
    assertProblem(await acme.get(twinPath('r3')), 404, NOT_FOUND);
    assertProblem(await patchTwin(acme, 'r3', { desired: { mode: 'off' } }), 404, NOT_FOUND);
    assertProblem(await api.get(twinPath('nope')), 404, NOT_FOUND);
    assertProblem(await patchTwin(api, 'nope', { desired: { a: 1 } }), 404, NOT_FOUND);

    // The audit record is written after the answer is sent: poll briefly.
    let items: Record<string, unknown>[] = [];
    const query = '/api/v1/audit?action=twin.update&resourceId=r3';
    for (let i = 0; i < 40 && items.length < 2; i++) {
      if (i > 0) await sleep(50);
      items = (await api.get<{ items: typeof items }>(query)).body.items;
    }
    const rows = items.map((e) => `${e.action} ${e.resource} ${e.resourceId} ${e.status}`);
    assert.deepEqual(rows, ['twin.update twin r3 403', 'twin.update twin r3 200'], 'newest first');
    assert.deepEqual(items[1]?.details, { desired: { mode: 'eco' } }, 'the record carries the patch');
    assert.match(String(items[1]?.actor), /^user:/);
  });

  test('10 concurrent PATCHes with the same If-Match: exactly one wins, nine get 412', async () => {
    await createDevice(api, { id: 'r4' });
    const start = await setDesired(api, 'r4', { writer: -1 });
    const ten = Array.from({ length: 10 }, (_, i) => i);
    const answers = await Promise.all(
      ten.map((i) => patchTwin(api, 'r4', { desired: { writer: i } }, `"${start.version}"`)),
    );
    const won = answers.filter((r) => r.status === 200);
    assert.equal(won.length, 1, JSON.stringify(answers.map((r) => r.status)));
    for (const r of answers.filter((a) => a.status !== 200)) assertProblem(r, 412, 'TWIN_VERSION_MISMATCH');
    const final = await getTwin(api, 'r4');
    assert.equal(final.version, start.version + 1);
    assert.deepEqual(final, won[0]?.body, 'the winner’s patch is the one stored');

    // Without If-Match nobody loses: compare-and-set losers retry on the new version.
    const all = await Promise.all(ten.map((i) => patchTwin(api, 'r4', { desired: { [`k${i}`]: i } })));
    const statuses = all.map((r) => r.status);
    assert.deepEqual(statuses, Array(10).fill(200));
    const merged = await getTwin(api, 'r4');
    const keys = Object.fromEntries(ten.map((i) => [`k${i}`, i]));
    assert.equal(merged.version, final.version + 10);
    assert.deepEqual(merged.desired, { ...final.desired, ...keys });
  });
});

describe('device twins: devices over MQTT and HTTP, the live stream, deletion', () => {
  let app: TestApp;
  let api: Client;
  let nextId = 1;

  before(async () => {
    app = await startTestApp({ env: { PLEXUS_TWIN_MAX_BYTES: '4096' } });
    api = await adminClient(app);
  });
  after(() => app.stop());

  /** Publishes reported state at QoS 1 from a raw client; returns the PUBACK's reason code and string. */
  async function report(c: RawClient, id: string, payload: string) {
    const messageId = nextId++;
    c.publish(`devices/${id}/twin/reported`, payload, { qos: 1, messageId });
    const ack = await c.next<IPubackPacket>((p) => p.cmd === 'puback' && p.messageId === messageId);
    return { code: ack.reasonCode ?? 0, reason: ack.properties?.reasonString };
  }

  test('MQTT 5: the retained desired document, reported merged before PUBACK, bad documents 0x99', async () => {
    const d = await createDevice(api, { id: 'm5' });
    const set = await setDesired(api, d.id, { temp: { target: 21 }, mode: 'eco' });
    const { c, got } = await deviceClient(app, d);
    await c.subscribeAsync(desiredTopic(d.id), { qos: 1 });
    await waitUntil(() => got.length === 1, 2000, 'the retained desired document');
    assert.deepEqual(docs(got, d.id), [{ version: 1, state: set.desired, delta: set.desired }]);
    const { retain, qos, properties } = got[0]?.packet ?? {};
    assert.deepEqual([retain, qos, properties?.contentType], [true, 1, 'application/json']);

    // The PUBACK comes after the merge is stored: REST shows it at once.
    const topic = `devices/${d.id}/twin/reported`;
    const ack = (await c.publishAsync(topic, '{"temp":{"target":21}}', { qos: 1 })) as IPubackPacket;
    assert.equal(ack.reasonCode ?? 0, 0);
    const reported = await getTwin(api, d.id);
    assert.deepEqual(reported.reported, { temp: { target: 21 } });
    assert.deepEqual(reported.delta, { mode: 'eco' }, 'temp is done, mode still to do');
    assert.deepEqual([reported.version, reported.desiredVersion, reported.reportedVersion], [2, 1, 1]);
    assert.deepEqual(Object.keys(reported.metadata.reported), ['temp.target']);

    // An operator change reaches the subscribed device as a new, live (not retained) message.
    const changed = await setDesired(api, d.id, { mode: 'away' });
    await waitUntil(() => got.length === 2, 2000, 'the changed desired document');
    assert.deepEqual(docs(got, d.id)[1], { version: 2, state: changed.desired, delta: { mode: 'away' } });
    assert.equal(got[1]?.packet.retain, false);
    // A CBOR report merges like a JSON one (CBOR maps once decoded to Maps: acked, merged nothing).
    const cborAck = (await c.publishAsync(topic, Buffer.from(encodeCbor({ fan: { speed: 3 } })), {
      qos: 1,
      properties: { contentType: 'application/cbor' },
    })) as IPubackPacket;
    assert.equal(cborAck.reasonCode ?? 0, 0);
    assert.deepEqual((await getTwin(api, d.id)).reported, { temp: { target: 21 }, fan: { speed: 3 } });
    await end(c);

    const login = { clientId: d.id, username: d.id, password: d.secret };
    const raw = (await RawClient.login(app.mqttPort, 5, login)).client;
    const before = await getTwin(api, d.id);
    for (const [payload, reason] of [
      ['[1,2]', /reported: the state must be a JSON object/],
      ['"x"', /reported: the state must be a JSON object/],
      ['{"temp":', /reported payload \(json\)/],
      ['{"a.b":1}', /a\.b: keys are/],
      [JSON.stringify({ blob: 'x'.repeat(5000) }), /limit is 4096/],
    ] as const) {
      const a = await report(raw, d.id, payload);
      assert.equal(a.code, PAYLOAD_FORMAT_INVALID, `${payload.slice(0, 20)}: ${JSON.stringify(a)}`);
      assert.match(a.reason ?? '', reason);
    }
    assert.equal(raw.isClosed, false, 'a refused document never disconnects');
    assert.deepEqual(await getTwin(api, d.id), before, 'refused documents change nothing');

    // The device reports it did everything: a device subscribing now has nothing left to do.
    assert.deepEqual(await report(raw, d.id, '{"mode":"away"}'), { code: 0, reason: undefined });
    const done = await getTwin(api, d.id);
    assert.deepEqual(done.delta, {});
    await raw.subscribe(desiredTopic(d.id), 1);
    const retained = JSON.parse((await raw.next<IPublishPacket>('publish')).payload.toString());
    assert.deepEqual([retained.version, retained.state], [done.desiredVersion, done.desired]);
    // A report that changes the delta refreshes the retained copy (same version), so MQTT and HTTP agree.
    assert.deepEqual(retained, docOf(done));
    raw.destroy();
  });

  test('MQTT 3.1.1 persistent session: a desired change made while offline arrives on reconnect', async () => {
    const d = await createDevice(api, { id: 'p4' });
    await setDesired(api, d.id, { interval: 60 });
    const session: IClientOptions = { protocolVersion: 4, clean: false, resubscribe: false };
    const first = await deviceClient(app, d, session);
    await first.c.subscribeAsync(desiredTopic(d.id), { qos: 1 });
    await waitUntil(() => first.got.length === 1, 2000, 'the retained desired document');
    assert.deepEqual(docs(first.got, d.id), [docOf(await getTwin(api, d.id))]);
    await end(first.c);

    const asleep = await setDesired(api, d.id, { interval: 300 });
    // A new client that subscribes to nothing: the stored session does the work.
    const back = await deviceClient(app, d, session);
    assert.equal(back.connack.sessionPresent, true);
    await waitUntil(() => back.got.length >= 1, 2000, 'the queued desired document');
    await sleep(200); // nothing else (no second copy) follows
    assert.deepEqual(docs(back.got, d.id), [docOf(asleep)]);
    assert.deepEqual(docOf(asleep).delta, { interval: 300 }, 'what the device still has to do');
    await end(back.c);
  });

  test('HTTP device: reported by PATCH, desired by GET, long poll answers a change or 304', async () => {
    const d = await createDevice(api, { id: 'h1' });
    const r = await deviceHttp(app, d, '/twin/reported', '{"fw":"1.4.2","temp":{"target":20}}');
    assert.deepEqual([r.status, r.body], [200, { accepted: 1 }]);
    assert.deepEqual((await getTwin(api, d.id)).reported, { fw: '1.4.2', temp: { target: 20 } });
    assert.deepEqual(await deviceHttp(app, d, '/twin/desired'), { status: 200, body: NO_DOC });

    const set = await setDesired(api, d.id, { temp: { target: 21 } });
    assert.deepEqual(await deviceHttp(app, d, '/twin/desired'), { status: 200, body: docOf(set) });
    assert.deepEqual(docOf(set).delta, { temp: { target: 21 } }, 'reported 20, desired 21');
    // An older version than the current one is answered at once.
    const older = await deviceHttp(app, d, '/twin/desired?version=0&wait=5');
    assert.deepEqual(older, { status: 200, body: docOf(set) });

    const t0 = Date.now();
    const poll = deviceHttp(app, d, '/twin/desired?version=1&wait=5');
    await sleep(300);
    const changed = await setDesired(api, d.id, { mode: 'eco' });
    assert.deepEqual(await poll, { status: 200, body: docOf(changed) });
    assertBetween(Date.now() - t0, 300, 2000, 'long poll answered on the change');

    const t1 = Date.now();
    assert.deepEqual(await deviceHttp(app, d, '/twin/desired?version=2&wait=1'), { status: 304, body: {} });
    assertBetween(Date.now() - t1, 950, 2500, 'long poll ran its wait out');

    for (const bad of ['{"fw":', '[1,2]', '"x"', '{"a.b":1}']) {
      const p = await deviceHttp(app, d, '/twin/reported', bad);
      assert.deepEqual([p.status, p.body.code], [400, 'DEVICE_HTTP_PAYLOAD_INVALID'], JSON.stringify(p.body));
    }
    assert.equal((await deviceHttp(app, { ...d, secret: 'wrong' }, '/twin/desired')).status, 401);
    assert.equal((await getTwin(api, d.id)).reportedVersion, 1, 'refused reports change nothing');
  });

  test('live stream: an operator watching kind "twin" sees desired and reported changes, nothing else', async () => {
    const d = await createDevice(api, { id: 's1' });
    const { username, password } = app.admin;
    const login = await client(app.url).post<{ token: string }>('/api/v1/auth/login', { username, password });
    const ws = new WebSocket(`${app.url.replace(/^http/, 'ws')}/api/v1/stream`);
    const msgs: Record<string, unknown>[] = [];
    ws.on('message', (data) => msgs.push(JSON.parse(String(data))));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ type: 'auth', token: login.body.token }));
    await waitUntil(() => msgs.some((m) => m.type === 'ready'), 2000, 'ready');
    ws.send(JSON.stringify({ type: 'subscribe', devices: [d.id], kinds: ['twin'] }));
    await waitUntil(() => msgs.some((m) => m.type === 'subscribed'), 2000, 'subscribed');

    const t0 = Date.now();
    await setDesired(api, d.id, { mode: 'eco' });
    assert.equal((await deviceHttp(app, d, '/twin/reported', '{"mode":"eco","fw":"2"}')).status, 200);
    // Telemetry is no twin change: it must not show up on this subscription.
    assert.equal((await deviceHttp(app, d, '/telemetry', '{"temp":20}', 'POST')).status, 200);
    await waitUntil(() => msgs.filter((m) => m.type === 'twin').length === 2, 2000, 'two twin messages');
    await sleep(100);
    const seen = msgs.filter((m) => m.type !== 'ready' && m.type !== 'subscribed');
    const bare = seen.map(({ ts: _, ...m }) => m);
    const about = { type: 'twin', device: d.id };
    assert.equal(bare.length, 2);
    assert.deepEqual(bare[0], { ...about, side: 'desired', patch: { mode: 'eco' }, ...ver(1, 1, 0) });
    assert.deepEqual(bare[1], {
      ...about,
      side: 'reported',
      patch: { mode: 'eco', fw: '2' },
      ...ver(2, 1, 1),
    });
    for (const m of seen) assertBetween(m.ts as number, t0, Date.now(), 'change time');
    ws.close();
  });

  test('deleting the device deletes its twin and retained desired document; the id starts afresh', async () => {
    const d = await createDevice(api, { id: 'gone' });
    await setDesired(api, d.id, { mode: 'eco' });
    assert.equal((await api.del(`/api/v1/devices/${d.id}`)).status, 204);
    assertProblem(await api.get(twinPath(d.id)), 404, 'REGISTRY_DEVICE_NOT_FOUND');
    assertProblem(await patchTwin(api, d.id, { desired: { a: 1 } }), 404, 'REGISTRY_DEVICE_NOT_FOUND');

    const again = await createDevice(api, { id: 'gone' });
    assert.deepEqual(await getTwin(api, again.id), EMPTY);
    const { c, got } = await deviceClient(app, again);
    await c.subscribeAsync(desiredTopic(again.id), { qos: 1 });
    await sleep(300);
    assert.deepEqual(got, [], 'no retained desired document from the deleted device');
    assert.deepEqual((await deviceHttp(app, again, '/twin/desired')).body, NO_DOC);
    await end(c);

    // The same for a whole tenant: deleted and created again, a device with an old id starts afresh.
    const old = await tenantApi(app, api, 'globex');
    await setDesired(old, (await createDevice(old, { id: 'tg' })).id, { mode: 'eco' });
    assert.equal((await api.del('/api/v1/tenants/globex')).status, 204);
    const globex = await tenantApi(app, api, 'globex');
    const tg = { ...(await createDevice(globex, { id: 'tg' })), tenant: 'globex' };
    assert.deepEqual(await getTwin(globex, tg.id), EMPTY);
    assert.deepEqual((await deviceHttp(app, tg, '/twin/desired')).body, NO_DOC);
    const fresh = await deviceClient(app, tg);
    await fresh.c.subscribeAsync(desiredTopic(tg.id), { qos: 1 });
    await sleep(300);
    await end(fresh.c);
    // A deleted tenant's retained messages go with it: a tenant recreated under the same id starts clean.
    assert.deepEqual(docs(fresh.got, tg.id), [], 'no retained desired document from the deleted tenant');
  });
});

describe('device twins: a restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'plexus-twin-restart-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('the twin and the retained desired document survive a restart', async () => {
    let app = await startTestApp({ keepDataDir: dataDir });
    let twin: Twin;
    let d: TestDevice;
    try {
      const api = await adminClient(app);
      d = await createDevice(api, { id: 'keep' });
      // Reported first, so the retained document's delta (computed on the desired change) is current.
      assert.equal((await deviceHttp(app, d, '/twin/reported', '{"mode":"night"}')).status, 200);
      await setDesired(api, d.id, { temp: { target: 19 }, mode: 'night' });
      twin = await getTwin(api, d.id);
      assert.deepEqual(twin.delta, { temp: { target: 19 } });
    } finally {
      await app.stop();
    }

    app = await startTestApp({ keepDataDir: dataDir });
    try {
      assert.deepEqual(await getTwin(await adminClient(app), d.id), twin);
      const { c, got } = await deviceClient(app, d);
      await c.subscribeAsync(desiredTopic(d.id), { qos: 1 });
      await waitUntil(() => got.length === 1, 2000, 'the retained desired document');
      assert.equal(got[0]?.packet.retain, true);
      assert.deepEqual(docs(got, d.id), [docOf(twin)]);
      await end(c);
    } finally {
      await app.stop();
    }
  });
});
