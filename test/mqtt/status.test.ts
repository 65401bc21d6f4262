import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient, connect, createDevice } from '../helpers/mqtt.js';

let app: TestApp;
let api: Client;
before(async () => {
  app = await startTestApp();
  api = await adminClient(app);
});
after(() => app.stop());

async function statusOf(id: string, want: string): Promise<{ status: string; lastSeen: string | null }> {
  for (let i = 0; i < 50; i++) {
    const d = (await api.get<{ status: string; lastSeen: string | null }>(`/api/v1/devices/${id}`)).body;
    if (d.status === want) return d;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`device ${id} never became ${want}`);
}

test('a device is online while connected and offline after, with its last-seen time', async () => {
  const dev = await createDevice(api, { id: 'meter-9' });
  assert.equal((await api.get<{ status: string }>('/api/v1/devices/meter-9')).body.status, 'unknown');
  const c = await connect(app, dev);
  const online = await statusOf('meter-9', 'online');
  assert.ok(online.lastSeen && Date.now() - Date.parse(online.lastSeen) < 10_000);
  c.end(true); // abrupt: the broker notices the closed socket
  await statusOf('meter-9', 'offline');
  const listed = (
    await api.get<{ items: { id: string }[] }>('/api/v1/devices?status=offline')
  ).body.items.map((d) => d.id);
  assert.ok(listed.includes('meter-9'));
});
