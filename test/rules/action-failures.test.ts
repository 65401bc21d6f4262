/**
 * Rule actions that do not work: a receiver that refuses for good (not
 * retried), one that stays down (attempts run out), one that hangs (it
 * holds only its own action), a command to a device that does not exist;
 * each failure raises an `action-failed` alarm. And
 * `actions.webhook.denyPrivateNetworks`: private targets refused when the
 * rule is saved (literal addresses) and when it is called (after DNS).
 */
import assert from 'node:assert/strict';
import { lookup } from 'node:dns/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { isPrivateAddress } from '../../src/core/private-network.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient, connect, createDevice, end } from '../helpers/mqtt.js';
import { waitUntil } from '../helpers/mqtt-extra.js';

interface Receiver {
  readonly server: Server;
  readonly hits: number[];
  url(path?: string): string;
}

/** An HTTP receiver answering `status` to every call (undefined: never answers, until released). */
async function receiver(status: number | undefined, held: ServerResponse[] = []): Promise<Receiver> {
  const hits: number[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits.push(Date.now());
      if (status === undefined) held.push(res);
      else res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { server, hits, url: (path = '/hook') => `http://127.0.0.1:${port}${path}` };
}

interface Item {
  readonly kind: string;
  readonly status: string;
  readonly attempts: number;
  readonly lastError?: string;
  readonly action: { url?: string; device?: string };
}
interface AlarmBody {
  readonly type: string;
  readonly severity: string;
  readonly rule: string;
  readonly count: number;
  readonly message: string;
  readonly status: string;
}

async function fire(app: TestApp, api: Client, device: string): Promise<void> {
  const d = await createDevice(api, { id: device });
  const c = await connect(app, d);
  await c.publishAsync(`devices/${device}/telemetry`, JSON.stringify({ temperature: 95 }), {
    qos: 1,
  });
  await end(c);
}

describe('rule actions that fail', () => {
  let app: TestApp;
  let api: Client;
  const held: ServerResponse[] = [];
  let gone: Receiver;
  let down: Receiver;
  let slow: Receiver;
  let fast: Receiver;

  before(async () => {
    app = await startTestApp({ env: { PLEXUS_ACTIONS_MAX_ATTEMPTS: '2' } });
    api = await adminClient(app);
    [gone, down, slow, fast] = await Promise.all([
      receiver(404),
      receiver(503),
      receiver(undefined, held),
      receiver(200),
    ]);
  });
  after(async () => {
    for (const res of held) res.writeHead(200).end();
    await app.stop();
    for (const r of [gone, down, slow, fast]) r.server.close();
  });

  test('a final refusal is not retried, a dead receiver gets maxAttempts, a hung one holds only itself; each raises an alarm', async () => {
    const put = await api.call('PUT', '/api/v1/rules/notify', {
      target: { devices: ['press-1'] },
      condition: { type: 'threshold', key: 'temperature', op: '>', value: 90 },
      actions: [
        { type: 'webhook', url: slow.url() },
        { type: 'webhook', url: gone.url() },
        { type: 'webhook', url: down.url() },
        { type: 'command', device: 'no-such-valve', name: 'close' },
        { type: 'webhook', url: fast.url() },
      ],
    });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    const t0 = Date.now();
    await fire(app, api, 'press-1');

    // The hung receiver holds its own call (up to the 10 s limit); the others go on at once.
    await waitUntil(() => fast.hits.length === 1 && slow.hits.length === 1, 3000, 'fast and slow called');
    assert.ok(
      (fast.hits[0] as number) - t0 < 2000,
      `fast receiver called after ${(fast.hits[0] as number) - t0} ms`,
    );

    const items = async () =>
      (await api.get<{ items: Item[] }>('/api/v1/actions?rule=notify&limit=100')).body.items;
    await waitUntil(() => down.hits.length === 2, 5000, 'second attempt at the dead receiver');
    let list: Item[] = [];
    for (let i = 0; i < 50; i++) {
      list = await items();
      if (list.filter((x) => x.status === 'failed').length === 3) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const byTarget = (url: string) => list.find((x) => x.action.url === url);
    assert.deepEqual(
      [byTarget(gone.url())?.status, byTarget(gone.url())?.attempts],
      ['failed', 1],
      'a 404 is final',
    );
    assert.match(byTarget(gone.url())?.lastError ?? '', /answered 404 \(not retried\)/);
    assert.deepEqual([byTarget(down.url())?.status, byTarget(down.url())?.attempts], ['failed', 2]);
    assert.match(byTarget(down.url())?.lastError ?? '', /answered 503/);
    const command = list.find((x) => x.kind === 'command');
    assert.deepEqual([command?.status, command?.attempts], ['failed', 1], 'an unknown device is final');
    assert.equal(byTarget(fast.url())?.status, 'done');
    assert.equal(byTarget(slow.url())?.status, 'pending', 'still waiting for its answer');
    assert.equal(gone.hits.length, 1);
    assert.ok((down.hits[1] as number) - (down.hits[0] as number) >= 900, 'waited before the retry');

    // One action-failed alarm per rule and device, repeated for each failure, with the last reason.
    let alarms: AlarmBody[] = [];
    for (let i = 0; i < 30 && !(alarms.length === 1 && alarms[0]?.count === 3); i++) {
      alarms = (await api.get<{ items: AlarmBody[] }>('/api/v1/alarms?device=press-1&type=action-failed'))
        .body.items;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(alarms.length, 1, JSON.stringify(alarms));
    const a = alarms[0] as AlarmBody;
    assert.deepEqual(
      [a.type, a.severity, a.rule, a.status, a.count],
      ['action-failed', 'major', 'notify', 'active', 3],
    );
    assert.match(a.message, /action of rule notify failed after \d attempts?: /);
  });
});

describe('actions.webhook.denyPrivateNetworks', () => {
  let app: TestApp;
  let api: Client;
  let target: Receiver;

  before(async () => {
    app = await startTestApp({ env: { PLEXUS_ACTIONS_WEBHOOK_DENY_PRIVATE_NETWORKS: 'true' } });
    api = await adminClient(app);
    target = await receiver(200);
  });
  after(async () => {
    await app.stop();
    target.server.close();
  });

  test('private literals and localhost are refused when saved, with the path', async () => {
    const port = (target.server.address() as AddressInfo).port;
    const r = await api.call('PUT', '/api/v1/rules/internal', {
      target: { devices: ['m-1'] },
      condition: { type: 'threshold', key: 'temperature', op: '>', value: 90 },
      actions: [
        { type: 'webhook', url: `http://127.0.0.1:${port}/x` },
        { type: 'webhook', url: 'http://169.254.169.254/latest/meta-data' },
        { type: 'webhook', url: 'https://maint.example.com/hook' },
        { type: 'webhook', url: `http://localhost:${port}/x` },
      ],
    });
    assert.equal(r.status, 400);
    const errors = (r.body as { errors: { path: string; message: string }[] }).errors;
    assert.deepEqual(
      errors.map((e) => e.path),
      ['/body/actions/0/url', '/body/actions/1/url', '/body/actions/3/url'],
    );
    assert.match(errors[0]?.message ?? '', /denyPrivateNetworks/);
  });

  test('a name that resolves to a private address is refused when called, not retried, and raises an alarm', async () => {
    const name = hostname();
    const resolved = await lookup(name);
    assert.ok(
      isPrivateAddress(resolved.address),
      `${name} resolves to ${resolved.address}, expected a private one`,
    );
    const port = (target.server.address() as AddressInfo).port;
    const put = await api.call('PUT', '/api/v1/rules/by-name', {
      target: { devices: ['m-2'] },
      condition: { type: 'threshold', key: 'temperature', op: '>', value: 90 },
      actions: [{ type: 'webhook', url: `http://${name}:${port}/x` }],
    });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    await fire(app, api, 'm-2');
    let item: Item | undefined;
    for (let i = 0; i < 50 && item?.status !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      item = (await api.get<{ items: Item[] }>('/api/v1/actions?rule=by-name')).body.items[0];
    }
    assert.deepEqual([item?.status, item?.attempts], ['failed', 1]);
    assert.match(item?.lastError ?? '', new RegExp(`${name} resolves to .*denyPrivateNetworks`));
    assert.equal(target.hits.length, 0, 'the private receiver was never called');
    const alarms = await api.get<{ items: AlarmBody[] }>('/api/v1/alarms?device=m-2&type=action-failed');
    assert.equal(alarms.body.items.length, 1);
  });
});
