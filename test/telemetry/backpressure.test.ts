import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient, connect, createDevice, end } from '../helpers/mqtt.js';

let app: TestApp;
let api: Client;
before(async () => {
  // A tiny backlog: any commit in progress makes new data wait for the next one… or be refused.
  app = await startTestApp({ env: { PLEXUS_TELEMETRY_MAX_BACKLOG: '1' } });
  api = await adminClient(app);
});
after(() => app.stop());

/**
 * Backpressure instead of unbounded memory: above `telemetry.maxBacklog`
 * uncommitted points new data is refused (HTTP 503 + Retry-After, MQTT 5
 * reason 0x97), nothing of a refused request is stored, everything accepted is.
 */
test('over the write backlog, data is refused with 503/0x97 and only what was accepted is stored', async () => {
  const d = await createDevice(api, { id: 'eager' });
  const auth = `Basic ${Buffer.from(`${d.id}:${d.secret}`).toString('base64')}`;
  const base = Date.now() - 60_000;
  const results = await Promise.all(
    Array.from({ length: 40 }, async (_, r) => {
      const body = Array.from({ length: 50 }, (_, i) => ({ ts: base + r * 50 + i, values: { n: r } }));
      const res = await fetch(`${app.url}/device/v1/telemetry`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as { code?: string };
      return { r, status: res.status, code: json.code, retry: res.headers.get('retry-after') };
    }),
  );
  const ok = results.filter((x) => x.status === 200).map((x) => x.r);
  const busy = results.filter((x) => x.status === 503);
  assert.ok(ok.length > 0, 'some requests get through');
  assert.ok(busy.length > 0, `some are refused: ${results.map((x) => x.status).join(',')}`);
  for (const b of busy) assert.deepEqual([b.code, b.retry], ['DEVICE_HTTP_BUSY', '1']);

  const stored = new Set<number>();
  let cursor: string | undefined;
  do {
    const q = `keys=n&from=${base}&to=${base + 10_000}&limit=10000${cursor ? `&cursor=${cursor}` : ''}`;
    const page = await api.get<{ items: { ts: number; value: number }[]; next?: string }>(
      `/api/v1/devices/eager/telemetry?${q}`,
    );
    for (const p of page.body.items) stored.add(p.value);
    cursor = page.body.next;
  } while (cursor);
  assert.deepEqual(
    [...stored].sort((a, b) => a - b),
    ok.sort((a, b) => a - b),
    'exactly the accepted requests',
  );

  // MQTT 5: a burst of QoS 1 publishes meets the same limit as reason code 0x97 (quota exceeded).
  const m = await createDevice(api, { id: 'eager-mqtt' });
  const c = await connect(app, m);
  const codes = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      c
        .publishAsync('devices/eager-mqtt/telemetry', JSON.stringify({ ts: base + i, values: { n: i } }), {
          qos: 1,
        })
        .then(
          () => 0,
          (err: { code?: number }) => err.code ?? -1,
        ),
    ),
  );
  assert.ok(codes.includes(0) && codes.includes(0x97), `PUBACK codes ${codes.join(',')}`);
  assert.ok(c.connected, 'the device stays connected');
  await end(c);
});
