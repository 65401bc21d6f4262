/**
 * Rule actions through the outbox on the running platform: a real HTTP
 * receiver that is down at first (retries with backoff, same delivery id,
 * HMAC signature), a command to another device (M2M), a desired twin value,
 * an MQTT publish seen by a real subscriber, and throttling.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient, connect, createDevice, end } from '../helpers/mqtt.js';
import { createApiKey, keyOpts, waitUntil } from '../helpers/mqtt-extra.js';

interface Hit {
  readonly at: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const SECRET = 'maintenance-shared-secret';

describe('rule actions', () => {
  let app: TestApp;
  let api: Client;
  const hits: Hit[] = [];
  let refuseFirst = 2;
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      hits.push({ at: Date.now(), headers: req.headers, body });
      res.statusCode = refuseFirst-- > 0 ? 503 : 200; // the maintenance system is down at first
      res.end();
    });
  });

  before(async () => {
    app = await startTestApp();
    api = await adminClient(app);
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    await app.stop();
    receiver.close();
  });

  test('webhook (retried until the endpoint is back, signed), command to another device, twin, publish, throttle', async () => {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/work-orders`;
    const sensor = await createDevice(api, { id: 'sensor-1' });
    await createDevice(api, { id: 'valve-1' });
    const put = await api.call('PUT', '/api/v1/rules/too-hot', {
      target: { devices: ['sensor-1'] },
      condition: { type: 'threshold', key: 'temperature', op: '>', value: 90 },
      actions: [
        {
          type: 'webhook',
          url,
          secret: SECRET,
          body: { asset: '{{device}}', reading: '{{value}}', rule: '{{rule}}' },
        },
        { type: 'command', device: 'valve-1', name: 'close', params: { because: '{{device}} at {{value}}' } },
        { type: 'twin', desired: { mode: 'cooling' } },
        { type: 'publish', topic: 'alerts/{{device}}', payload: { reading: '{{value}}' }, qos: 1 },
      ],
      throttle: '1h',
    });
    assert.ok([200, 201].includes(put.status), JSON.stringify(put.body));

    const watcher = await connect(app, undefined, keyOpts((await createApiKey(api, 'operator')).key));
    const published: string[] = [];
    watcher.on('message', (topic, payload) => published.push(`${topic} ${payload.toString()}`));
    await watcher.subscribeAsync('alerts/#', { qos: 1 });

    const device = await connect(app, sensor);
    const t0 = Date.now() - 60_000;
    const send = (ts: number, temperature: number) =>
      device.publishAsync('devices/sensor-1/telemetry', JSON.stringify({ ts, values: { temperature } }), {
        qos: 1,
      });
    await send(t0, 95);

    // Command and twin and publish are carried out at once.
    await waitUntil(() => published.length === 1, 3000, 'publish');
    assert.deepEqual(published, ['alerts/sensor-1 {"reading":95}']);
    // The three actions run concurrently: the publish arriving does not mean the others are done.
    await eventually(async () => {
      const cmds = await api.get<{ items: { name: string; params: unknown; actor: string }[] }>(
        '/api/v1/devices/valve-1/commands',
      );
      assert.deepEqual(
        cmds.body.items.map((c) => [c.name, c.params, c.actor]),
        [['close', { because: 'sensor-1 at 95' }, 'rule:too-hot']],
      );
      const twin = await api.get<{ desired: unknown }>('/api/v1/devices/sensor-1/twin');
      assert.deepEqual(twin.body.desired, { mode: 'cooling' });
    });

    // The webhook: refused twice (503), then delivered; waits of 1 s and 2 s between the tries.
    await waitUntil(() => hits.length === 3, 8000, 'webhook delivered on the third try');
    const [h1, h2, h3] = hits as [Hit, Hit, Hit];
    assert.ok(
      h2.at - h1.at >= 900 && h3.at - h2.at >= 1900,
      `backoff: ${h2.at - h1.at} ms, ${h3.at - h2.at} ms`,
    );
    assert.equal(new Set(hits.map((h) => h.headers['x-plexus-delivery'])).size, 1, 'one delivery id');
    assert.deepEqual(JSON.parse(h3.body), { asset: 'sensor-1', reading: 95, rule: 'too-hot' });
    const expected = `sha256=${createHmac('sha256', SECRET).update(h3.body).digest('hex')}`;
    assert.equal(h3.headers['x-plexus-signature'], expected);

    // The outbox shows what was done (secrets hidden) and after how many attempts; the third
    // try is marked done just after the receiver answered it.
    await eventually(async () => {
      const done = await api.get<{
        items: { kind: string; attempts: number; status: string; action: { secret?: string } }[];
      }>('/api/v1/actions?rule=too-hot');
      const webhook = done.body.items.find((i) => i.kind === 'webhook');
      assert.deepEqual([webhook?.status, webhook?.attempts, webhook?.action.secret], ['done', 3, '(hidden)']);
      assert.deepEqual(done.body.items.map((i) => i.kind).sort(), ['command', 'publish', 'twin', 'webhook']);
    });

    // It stops holding, and fires again within the hour: throttled, nothing new is sent.
    await send(t0 + 1000, 50);
    await send(t0 + 2000, 99);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(hits.length, 3);
    assert.equal(published.length, 1);
    await Promise.all([end(device), end(watcher)]);
  });
});

/** Retries `check` until it passes or `ms` run out (then its last failure is thrown). */
async function eventually(check: () => Promise<void>, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
