import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient, connect, createDevice, end } from '../helpers/mqtt.js';

let app: TestApp;
let api: Client;
before(async () => {
  app = await startTestApp();
  api = await adminClient(app);
});
after(() => app.stop());

/**
 * Points without a time get the receive time; messages arriving in the same
 * millisecond must still be distinct points, not duplicates of each other.
 */
test('a burst of untimed messages in the same millisecond stores every one of them', async () => {
  const d = await createDevice(api, { id: 'burst' });
  const c = await connect(app, d);
  await Promise.all(
    Array.from({ length: 200 }, (_, n) =>
      c.publishAsync('devices/burst/telemetry', JSON.stringify({ n }), { qos: 1 }),
    ),
  );
  await end(c);
  const r = await api.get<{ items: { ts: number; value: number }[] }>(
    `/api/v1/devices/burst/telemetry?keys=n&from=${Date.now() - 60_000}&to=${Date.now() + 60_000}&limit=1000`,
  );
  assert.deepEqual(
    r.body.items.map((p) => p.value),
    Array.from({ length: 200 }, (_, n) => n),
    'all 200, in order',
  );
  assert.equal(new Set(r.body.items.map((p) => p.ts)).size, 200, 'each with its own time');
});
