import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminClient, createDevice } from '../../helpers/mqtt.js';
import { publishPacket, RawMqtt } from '../../helpers/raw-mqtt.js';
import { startV311, type V311 } from './v311-setup.js';

describe('MQTT 3.1.1 conformance: transient errors', () => {
  let s: V311;
  before(async () => {
    // A write backlog of one point: a burst of telemetry finds the store busy (TELEMETRY_BUSY).
    s = await startV311({ PLEXUS_TELEMETRY_MAX_BACKLOG: '1' });
  });
  after(() => s.app.stop());

  test('[3.1.1 MQTT-4.8.0-2] a PUBLISH the server cannot take now (store busy) closes the connection instead of being acknowledged', async () => {
    const dev = await createDevice(await adminClient(s.app), { id: 'e-busy' });
    const c = await RawMqtt.device(s.app.mqttPort, dev, { protocolVersion: 4 });
    const base = Date.now() - 60_000;
    const n = 40;
    for (let r = 0; r < n; r++) {
      const points = Array.from({ length: 50 }, (_, i) => ({ ts: base + r * 50 + i, values: { n: r } }));
      c.send(publishPacket('devices/e-busy/telemetry', JSON.stringify(points), { qos: 1, messageId: r + 1 }));
    }
    assert.ok(await c.waitClosed(5000), 'the connection was closed');
    const acked = c.received
      .filter((p) => p.cmd === 'puback')
      .map((p) => (p as { messageId?: number }).messageId);
    assert.ok(acked.length < n, `${acked.length} of ${n} acknowledged: one was refused`);
    // What was acknowledged is a prefix, in order: the refused message and everything after it the client resends.
    assert.deepEqual(
      acked,
      Array.from({ length: acked.length }, (_, i) => i + 1),
    );
  });
});
