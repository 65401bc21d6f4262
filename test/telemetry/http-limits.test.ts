import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient, createDevice } from '../helpers/mqtt.js';

let app: TestApp;
let api: Client;
before(async () => {
  app = await startTestApp();
  api = await adminClient(app);
});
after(() => app.stop());

/** The profile's per-device rates apply to HTTP devices as to MQTT ones: a request is one message. */
test('an HTTP device over its profile rate gets 429 with Retry-After and nothing of that request is stored', async () => {
  const p = await api.post('/api/v1/profiles', {
    id: 'slow',
    limits: { messagesPerSecond: 1, bytesPerSecond: 100_000, burstSeconds: 2 },
  });
  assert.equal(p.status, 201);
  const d = await createDevice(api, { id: 'trickle', profile: 'slow' });
  const auth = `Basic ${Buffer.from(`${d.id}:${d.secret}`).toString('base64')}`;
  const post = (n: number) =>
    fetch(`${app.url}/device/v1/telemetry`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ n }),
    });
  const statuses: number[] = [];
  let retryAfter: string | null = null;
  for (let n = 1; n <= 4; n++) {
    const r = await post(n);
    statuses.push(r.status);
    if (r.status === 429) {
      retryAfter = r.headers.get('retry-after');
      assert.equal(((await r.json()) as { code: string }).code, 'DEVICE_HTTP_RATE_LIMITED');
    } else await r.text();
  }
  // A burst of 2 s at 1 message/s: the first two pass, the balance may go one message into
  // debt (as on MQTT), and then requests are refused until tokens come back.
  assert.deepEqual(statuses.slice(0, 2), [200, 200]);
  assert.equal(statuses[3], 429, statuses.join(','));
  assert.ok(Number(retryAfter) >= 1, `Retry-After ${retryAfter}`);
  const lastAccepted = statuses.lastIndexOf(200) + 1;
  const latest = await api.get<Record<string, { value: number }>>('/api/v1/devices/trickle/telemetry/latest');
  assert.equal(latest.body.n?.value, lastAccepted, 'the refused requests stored nothing');
  await new Promise((r) => setTimeout(r, 2100));
  assert.equal((await post(5)).status, 200, 'allowed again once the rate recovers');
});
