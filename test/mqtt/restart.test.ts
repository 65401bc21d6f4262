import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import mqtt from 'mqtt';
import { startTestApp } from '../helpers/app.js';
import { adminClient, connect, createDevice, end, nextMessage } from '../helpers/mqtt.js';

const dataDir = mkdtempSync(join(tmpdir(), 'plexus-restart-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

test('persistent sessions, their queued QoS 1 messages and retained messages survive a broker restart', async () => {
  let app = await startTestApp({ keepDataDir: dataDir });
  const api = await adminClient(app);
  const sensor = await createDevice(api, { id: 'sensor-1' });
  const key = (await api.post<{ key: string }>('/api/v1/apikeys', { name: 'archiver', role: 'viewer' })).body
    .key;
  const subOpts = {
    username: 'apikey',
    password: key,
    clientId: 'archiver',
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
  };

  const sub = await connect(app, undefined, subOpts);
  await sub.subscribeAsync('devices/+/telemetry', { qos: 1 });
  await end(sub);
  const pub = await connect(app, sensor);
  await pub.publishAsync('devices/sensor-1/telemetry', '{"away":1}', { qos: 1 });
  await pub.publishAsync('devices/sensor-1/events', '{"type":"last"}', { qos: 1, retain: true });
  await end(pub);
  await app.stop();

  app = await startTestApp({ keepDataDir: dataDir });
  try {
    // Listen before CONNACK: the queued message follows it immediately.
    const back = mqtt.connect(`mqtt://127.0.0.1:${app.mqttPort}`, {
      protocolVersion: 5,
      reconnectPeriod: 0,
      ...subOpts,
    });
    const first = nextMessage(back);
    const connack = await new Promise<{ sessionPresent: boolean }>((resolve) =>
      back.once('connect', resolve),
    );
    assert.equal(connack.sessionPresent, true, 'the session came back from storage');
    const m = await first;
    assert.equal(m.topic, 'devices/sensor-1/telemetry');
    assert.equal(m.payload.toString(), '{"away":1}');
    const retained = nextMessage(back);
    await back.subscribeAsync('devices/+/events', { qos: 1 });
    const r = await retained;
    assert.equal(r.payload.toString(), '{"type":"last"}');
    assert.equal(r.packet.retain, true);
    await end(back);
  } finally {
    await app.stop();
  }
});
