import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient, connect, createDevice, end, nextMessage } from '../helpers/mqtt.js';

describe('MQTT broker: first light', () => {
  let app: TestApp;
  let api: Client;
  before(async () => {
    app = await startTestApp();
    api = await adminClient(app);
  });
  after(() => app.stop());

  test('a device publishes on its topic and an API-key integration receives it (v5 and v3.1.1)', async () => {
    const dev = await createDevice(api, { id: 'press-1' });
    const key = (await api.post<{ key: string }>('/api/v1/apikeys', { name: 'int', role: 'viewer' })).body
      .key;
    for (const protocolVersion of [5, 4] as const) {
      const sub = await connect(app, undefined, {
        username: 'apikey',
        password: key,
        clientId: `int-${protocolVersion}`,
        protocolVersion,
      });
      await sub.subscribeAsync('devices/+/telemetry', { qos: 1 });
      const pub = await connect(app, dev, { protocolVersion });
      const got = nextMessage(sub);
      await pub.publishAsync('devices/press-1/telemetry', '{"temp":21.5}', { qos: 1 });
      const m = await got;
      assert.equal(m.topic, 'devices/press-1/telemetry');
      assert.equal(m.payload.toString(), '{"temp":21.5}');
      assert.equal(m.packet.qos, 1);
      await end(pub);
      await end(sub);
    }
  });

  test('a wrong secret is refused with "bad user name or password"', async () => {
    const dev = await createDevice(api, { id: 'press-2' });
    await assert.rejects(
      connect(app, { ...dev, secret: 'wrong' }),
      /Bad User Name or Password|bad user name/i,
    );
  });
});
