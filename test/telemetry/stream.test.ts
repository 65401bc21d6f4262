/**
 * The live stream, WebSocket /api/v1/stream (ARCHITECTURE §6): operators of
 * a tenant watch telemetry, events and online/offline status as devices send
 * them over MQTT and HTTP. Real sockets with the `ws` package.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { type Client, client } from '../helpers/http.js';
import { adminClient, connect, createDevice, end, type TestDevice } from '../helpers/mqtt.js';
import { createApiKey, sleep, tenantApi } from '../helpers/mqtt-extra.js';
import { assertBetween, basic, createProfile } from './ingest-helpers.js';

type Msg = { readonly type: string } & Record<string, unknown>;
type Match = string | ((m: Msg) => boolean);

/** A stream client that records every message and lets a test wait for one. */
class Stream {
  readonly ws: WebSocket;
  /** Every message received, in order. */
  readonly all: Msg[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #inbox: Msg[] = [];
  #waiters: { match: Match; resolve: (m: Msg) => void }[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Msg;
      this.all.push(m);
      const i = this.#waiters.findIndex((w) => matches(w.match, m));
      if (i >= 0) this.#waiters.splice(i, 1)[0]?.resolve(m);
      else this.#inbox.push(m);
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  static open(app: TestApp, headers: Record<string, string> = {}): Promise<Stream> {
    const ws = new WebSocket(`${app.url.replace(/^http/, 'ws')}/api/v1/stream`, { headers });
    const s = new Stream(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(s));
      ws.once('error', reject);
    });
  }

  /** Opens a stream authenticated by `Authorization: Bearer` and waits for `ready`. */
  static async bearer(app: TestApp, token: string, extra: Record<string, string> = {}): Promise<Stream> {
    const s = await Stream.open(app, { authorization: `Bearer ${token}`, ...extra });
    await s.next('ready');
    return s;
  }

  send(m: object | string): void {
    this.ws.send(typeof m === 'string' ? m : JSON.stringify(m));
  }

  /** The next not yet taken message of a type (or matching a predicate). */
  next(match: Match, timeoutMs = 3000): Promise<Msg> {
    const i = this.#inbox.findIndex((m) => matches(match, m));
    if (i >= 0) return Promise.resolve(this.#inbox.splice(i, 1)[0] as Msg);
    return new Promise((resolve, reject) => {
      const w = {
        match,
        resolve: (m: Msg) => {
          clearTimeout(t);
          resolve(m);
        },
      };
      const t = setTimeout(() => {
        this.#waiters = this.#waiters.filter((x) => x !== w);
        reject(
          new Error(`no ${typeof match === 'string' ? match : 'matching'} message within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  async subscribe(devices: string[] | '*', kinds?: string[]): Promise<void> {
    this.send({ type: 'subscribe', devices, ...(kinds ? { kinds } : {}) });
    const ack = await this.next((m) => m.type === 'subscribed' || m.type === 'error');
    assert.equal(ack.type, 'subscribed', JSON.stringify(ack));
  }

  /** Messages about a device, of the data kinds (not the protocol's own). */
  about(device: string): Msg[] {
    return this.all.filter((m) => m.device === device);
  }

  close(): void {
    this.ws.close();
  }
}

function matches(match: Match, m: Msg): boolean {
  return typeof match === 'string' ? m.type === match : match(m);
}

async function closedWithin(s: Stream, ms = 3000): Promise<{ code: number; reason: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the server did not close the socket')), ms);
  });
  try {
    return await Promise.race([s.closed, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function tokenOf(app: TestApp, username: string, password: string): Promise<string> {
  const r = await client(app.url).post<{ token: string }>('/api/v1/auth/login', { username, password });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.token;
}

const telemetryOf = (device: string) => (m: Msg) => m.type === 'telemetry' && m.device === device;
const statusOf = (device: string, status: string) => (m: Msg) =>
  m.type === 'status' && m.device === device && m.status === status;

describe('live stream /api/v1/stream', () => {
  let app: TestApp;
  let root: Client;
  let acme: Client;
  let rootToken: string;
  let viewerToken: string;
  let acmeToken: string;
  let press: TestDevice;
  let other: TestDevice;
  let acmePress: TestDevice;

  before(async () => {
    app = await startTestApp();
    root = await adminClient(app);
    rootToken = await tokenOf(app, app.admin.username, app.admin.password);
    acme = await tenantApi(app, root, 'acme');
    for (const [username, tenant] of [
      ['watcher', 'default'],
      ['acme-watcher', 'acme'],
    ] as const) {
      const r = await root.post('/api/v1/users', {
        username,
        password: `${username}-pw-123456`,
        role: 'viewer',
        tenant,
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    viewerToken = await tokenOf(app, 'watcher', 'watcher-pw-123456');
    acmeToken = await tokenOf(app, 'acme-watcher', 'acme-watcher-pw-123456');
    await createProfile(root, { id: 'fast-idle', inactivityTimeout: 1 });
    press = await createDevice(root, { id: 'press-7' });
    other = await createDevice(root, { id: 'other-1' });
    const made = await acme.post<{ secret: string }>('/api/v1/devices', { id: 'press-7' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    acmePress = { id: 'press-7', secret: made.body.secret, tenant: 'acme' };
  });
  after(() => app.stop());

  /** A QoS 1 publish as the device; resolves after the PUBACK (i.e. after the commit). */
  async function publish(d: TestDevice, payload: string, topic = 'telemetry'): Promise<void> {
    const c = await connect(app, d);
    await c.publishAsync(`devices/${d.id}/${topic}`, payload, { qos: 1 });
    await end(c);
  }

  const http = (d: TestDevice, path: 'telemetry' | 'events', body: string) =>
    fetch(`${app.url}/device/v1/${path}`, {
      method: 'POST',
      headers: { authorization: basic(d.id, d.secret, d.tenant), 'content-type': 'application/json' },
      body,
    });

  test('a bad token gets {"type":"error"} and the socket is closed with 4401 (header and first message)', async () => {
    const byHeader = await Stream.open(app, { authorization: 'Bearer not-a-token' });
    const e1 = await byHeader.next('error');
    assert.equal(typeof e1.message, 'string');
    assert.equal((await closedWithin(byHeader)).code, 4401);

    const byMessage = await Stream.open(app);
    byMessage.send({ type: 'auth', token: 'not-a-token-either' });
    await byMessage.next('error');
    assert.equal((await closedWithin(byMessage)).code, 4401);
    assert.ok(
      [...byHeader.all, ...byMessage.all].every((m) => m.type === 'error'),
      'nothing but the error was sent',
    );
  });

  test('naming another tenant: refused (4401) for a tenant user and for a tenant that does not exist', async () => {
    const viewer = await Stream.open(app);
    viewer.send({ type: 'auth', token: viewerToken, tenant: 'acme' });
    await viewer.next('error');
    assert.equal((await closedWithin(viewer)).code, 4401);

    const ghost = await Stream.open(app, {
      authorization: `Bearer ${rootToken}`,
      'plexus-tenant': 'nowhere',
    });
    await ghost.next('error');
    assert.equal((await closedWithin(ghost)).code, 4401);

    // The platform admin may name an existing tenant.
    const admin = await Stream.open(app, { authorization: `Bearer ${rootToken}`, 'plexus-tenant': 'acme' });
    assert.equal((await admin.next('ready')).tenant, 'acme');
    admin.close();
  });

  test('auth by header (session or API key): one device subscribed, its telemetry arrives, not the others', async () => {
    const key = (await createApiKey(root, 'viewer')).key;
    const byKey = await Stream.bearer(app, key);
    byKey.close();

    const s = await Stream.bearer(app, viewerToken);
    assert.equal(s.all[0]?.tenant, 'default');
    await s.subscribe(['press-7'], ['telemetry']);
    // The other device first, acknowledged (so published on the bus) before press-7 sends.
    await publish(other, '{"temp":99}');
    const ts = Date.now() - 1000;
    await publish(press, JSON.stringify({ ts, values: { temp: 21.5, running: true } }));
    const m = await s.next(telemetryOf('press-7'));
    assert.deepEqual(
      { ...m, points: [...(m.points as { key: string }[])].sort((a, b) => (a.key < b.key ? -1 : 1)) },
      {
        type: 'telemetry',
        device: 'press-7',
        points: [
          { key: 'running', ts, value: true },
          { key: 'temp', ts, value: 21.5 },
        ],
      },
    );
    assert.deepEqual(s.about('other-1'), [], 'not subscribed to other-1');
    assert.deepEqual(
      s.all.filter((x) => x.type === 'status'),
      [],
      'press-7 connected and disconnected, but status was not asked for',
    );
    s.close();
  });

  test('auth by first message: status of an MQTT device, and telemetry and events sent over HTTP', async () => {
    const s = await Stream.open(app);
    s.send({ type: 'auth', token: viewerToken });
    assert.equal((await s.next('ready')).tenant, 'default');
    await s.subscribe(['press-7'], ['telemetry', 'events', 'status']);

    const before = Date.now();
    const c = await connect(app, press);
    const on = await s.next(statusOf('press-7', 'online'));
    assert.equal(on.reason, 'connected');
    assertBetween(on.ts as number, before, Date.now(), 'status ts');

    const posted = Date.now();
    assert.equal((await http(press, 'telemetry', '{"humidity":40}')).status, 200);
    const t = await s.next(telemetryOf('press-7'));
    const points = t.points as { key: string; ts: number; value: unknown }[];
    assert.deepEqual(
      points.map((p) => [p.key, p.value]),
      [['humidity', 40]],
    );
    assertBetween(points[0]?.ts as number, posted, Date.now(), 'point ts');

    const ts = Date.now() - 500;
    assert.equal(
      (await http(press, 'events', JSON.stringify({ type: 'door_open', zone: 3, ts }))).status,
      200,
    );
    const ev = await s.next('events');
    assert.deepEqual(ev, {
      type: 'events',
      device: 'press-7',
      events: [{ type: 'door_open', ts, data: { zone: 3 } }],
    });

    await end(c);
    const off = await s.next(statusOf('press-7', 'offline'));
    assert.equal(off.reason, 'disconnected');
    assert.deepEqual(s.about('other-1'), []);
    s.close();
  });

  test('a device that only speaks HTTP: online by activity, offline when silent beyond its inactivity timeout', async () => {
    const idle = await createDevice(root, { id: 'idle-http', profile: 'fast-idle' });
    const s = await Stream.bearer(app, viewerToken);
    await s.subscribe(['idle-http'], ['status']);
    assert.equal((await http(idle, 'telemetry', '{"v":1}')).status, 200);
    const on = await s.next(statusOf('idle-http', 'online'));
    assert.equal(on.reason, 'activity');
    const off = await s.next(statusOf('idle-http', 'offline'), 8000);
    assert.equal(off.reason, 'inactive');
    assert.ok((off.ts as number) - (on.ts as number) >= 1000, 'not before the timeout');
    s.close();
  });

  test("a client of tenant acme never sees default's data, even for the same device id (and the reverse)", async () => {
    const mine = await Stream.bearer(app, viewerToken);
    await mine.subscribe('*');
    const theirs = await Stream.bearer(app, acmeToken);
    assert.equal(theirs.all[0]?.tenant, 'acme');
    await theirs.subscribe('*');
    const adminInAcme = await Stream.open(app);
    adminInAcme.send({ type: 'auth', token: rootToken, tenant: 'acme' });
    assert.equal((await adminInAcme.next('ready')).tenant, 'acme');
    await adminInAcme.subscribe(['press-7']);

    // default: MQTT connect, telemetry, event, disconnect; HTTP telemetry.
    await publish(press, '{"owner":"default"}');
    await publish(press, '{"type":"default_event"}', 'events');
    assert.equal((await http(press, 'telemetry', '{"owner":"default-http"}')).status, 200);
    // acme: the same over MQTT and HTTP.
    const c = await connect(app, acmePress);
    await c.publishAsync('devices/press-7/telemetry', '{"owner":"acme"}', { qos: 1 });
    await c.publishAsync('devices/press-7/events', '{"type":"acme_event"}', { qos: 1 });
    await end(c);
    assert.equal((await http(acmePress, 'telemetry', '{"owner":"acme-http"}')).status, 200);

    for (const s of [theirs, adminInAcme]) {
      await s.next((m) => m.type === 'telemetry' && JSON.stringify(m).includes('acme-http'));
    }
    // One last default message: once it arrives, anything of acme's before it would have too.
    await publish(other, '{"last":true}');
    await mine.next(telemetryOf('other-1'));

    const owners = (s: Stream) =>
      s.all
        .filter((m) => m.type === 'telemetry' && m.device === 'press-7')
        .flatMap((m) => (m.points as { value: unknown }[]).map((p) => p.value));
    const eventTypes = (s: Stream) =>
      s.all
        .filter((m) => m.type === 'events')
        .flatMap((m) => (m.events as { type: string }[]).map((e) => e.type));
    const statuses = (s: Stream) =>
      s.all.filter((m) => m.type === 'status' && m.device === 'press-7').map((m) => m.status);

    assert.deepEqual(owners(mine), ['default', 'default-http']);
    assert.deepEqual(eventTypes(mine), ['default_event']);
    // Two MQTT sessions, then HTTP data while disconnected: online again by activity.
    assert.deepEqual(statuses(mine), ['online', 'offline', 'online', 'offline', 'online']);
    for (const s of [theirs, adminInAcme]) {
      assert.deepEqual(owners(s), ['acme', 'acme-http']);
      assert.deepEqual(eventTypes(s), ['acme_event']);
      assert.deepEqual(statuses(s), ['online', 'offline', 'online']);
      assert.deepEqual(s.about('other-1'), []);
    }
    for (const s of [mine, theirs, adminInAcme]) s.close();
  });

  test('bad messages get {"type":"error"} and the socket stays open and usable', async () => {
    const s = await Stream.open(app);
    s.send({ type: 'subscribe', devices: '*' });
    assert.match(String((await s.next('error')).message), /authenticate first/);
    s.send('not json');
    await s.next('error');
    s.send({ type: 'auth' });
    assert.match(String((await s.next('error')).message), /token/);
    s.send({ type: 'auth', token: viewerToken });
    await s.next('ready');

    const bad: (object | string | Buffer)[] = [
      '{"type":',
      '[]',
      Buffer.from([1, 2, 3]),
      { type: 'nonsense' },
      { type: 'subscribe', devices: '*', kinds: ['telemetry', 'bogus'] },
      { type: 'subscribe', devices: 42 },
      { type: 'subscribe', devices: [1, 2] },
    ];
    for (const m of bad) {
      if (Buffer.isBuffer(m)) s.ws.send(m, { binary: true });
      else s.send(m);
      const e = await s.next((x) => x.type !== 'subscribed');
      assert.equal(e.type, 'error', `${JSON.stringify(m)} → ${JSON.stringify(e)}`);
      assert.equal(typeof e.message, 'string');
    }
    assert.equal(s.ws.readyState, WebSocket.OPEN);
    assert.ok(!s.all.some((m) => m.type === 'subscribed'), 'no bad subscribe was taken');

    // Still usable: subscribe, receive, unsubscribe, receive nothing more.
    await s.subscribe(['other-1'], ['telemetry']);
    await publish(other, '{"after":1}');
    assert.deepEqual(
      ((await s.next(telemetryOf('other-1'))).points as { key: string; value: unknown }[]).map((p) => [
        p.key,
        p.value,
      ]),
      [['after', 1]],
    );
    s.send({ type: 'unsubscribe' });
    await s.next('unsubscribed');
    await publish(other, '{"after":2}');
    await sleep(100);
    assert.equal(s.all.filter(telemetryOf('other-1')).length, 1, 'nothing after unsubscribe');
    s.close();
  });
});
