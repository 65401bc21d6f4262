/**
 * Rules over the device twin, over real MQTT: a thermostat that drifts off
 * its desired setpoint (an `expression` mixing telemetry and the twin), a
 * device that does not apply its configuration (`twin` pending, with
 * `for`), and outdated firmware (`twin` compare on reported).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient, connect, createDevice, end } from '../helpers/mqtt.js';
import { sleep } from '../helpers/mqtt-extra.js';

interface Alarm {
  readonly type: string;
  readonly status: string;
  readonly device: string;
  readonly message: string;
}

describe('rules over the twin', () => {
  let app: TestApp;
  let api: Client;

  before(async () => {
    app = await startTestApp();
    api = await adminClient(app);
  });
  after(() => app.stop());

  const alarms = async (device: string, type: string) =>
    (await api.get<{ items: Alarm[] }>(`/api/v1/alarms?device=${device}&type=${type}`)).body.items;
  /** Polls until the device's alarm of `type` has `status` (or there is none, for 'none'). */
  async function expectAlarm(device: string, type: string, status: string, ms = 4000): Promise<void> {
    const until = Date.now() + ms;
    let seen: Alarm[] = [];
    while (Date.now() < until) {
      seen = await alarms(device, type);
      const now = seen[0]?.status ?? 'none';
      if (now === status) return;
      await sleep(50);
    }
    assert.fail(`${device} ${type}: expected ${status}, have ${JSON.stringify(seen)}`);
  }
  const put = async (name: string, body: Record<string, unknown>) => {
    const r = await api.call('PUT', `/api/v1/rules/${name}`, body);
    assert.equal(r.status, 201, JSON.stringify(r.body));
  };

  test('a thermostat off its desired setpoint: the twin read at first sight, then followed', async () => {
    const d = await createDevice(api, { id: 'thermo-1' });
    // The setpoint is set before the rule exists: the engine reads the twin when it meets the device.
    await api.patch('/api/v1/devices/thermo-1/twin', { desired: { setpoint: 21 } });
    await put('off-setpoint', {
      target: { devices: ['thermo-1'] },
      condition: { type: 'expression', expr: 'abs(temperature - desired.setpoint) > 2' },
      alarm: { type: 'off-setpoint', severity: 'minor' },
    });
    const c = await connect(app, d);
    await c.publishAsync('devices/thermo-1/telemetry', JSON.stringify({ temperature: 21.5 }), { qos: 1 });
    await sleep(300);
    assert.deepEqual(await alarms('thermo-1', 'off-setpoint'), [], 'within 2 degrees');
    await c.publishAsync('devices/thermo-1/telemetry', JSON.stringify({ temperature: 25 }), { qos: 1 });
    await expectAlarm('thermo-1', 'off-setpoint', 'active');
    // The operator moves the setpoint up: the twin change alone clears it.
    await api.patch('/api/v1/devices/thermo-1/twin', { desired: { setpoint: 24 } });
    await expectAlarm('thermo-1', 'off-setpoint', 'cleared');
    await end(c);
  });

  test('configuration not applied within its time, then applied; outdated firmware reported', async () => {
    await put('config-stuck', {
      target: { devices: ['gw-1'] },
      condition: { type: 'twin', pending: true, for: '1s' },
      alarm: { type: 'config-stuck', severity: 'warning' },
    });
    await put('old-firmware', {
      target: { devices: ['gw-1'] },
      condition: { type: 'twin', path: 'firmware.version', op: '!=', value: '2.4.1' },
      alarm: { type: 'old-firmware', severity: 'info' },
    });
    const d = await createDevice(api, { id: 'gw-1' });
    const c = await connect(app, d);
    await c.publishAsync('devices/gw-1/twin/reported', JSON.stringify({ firmware: { version: '2.4.1' } }), {
      qos: 1,
    });
    await api.patch('/api/v1/devices/gw-1/twin', { desired: { interval: 30 } });
    await sleep(400);
    assert.deepEqual(await alarms('gw-1', 'config-stuck'), [], 'not yet: 1 s to apply it');
    await expectAlarm('gw-1', 'config-stuck', 'active', 3000);
    await c.publishAsync('devices/gw-1/twin/reported', JSON.stringify({ interval: 30 }), { qos: 1 });
    await expectAlarm('gw-1', 'config-stuck', 'cleared');

    assert.deepEqual(await alarms('gw-1', 'old-firmware'), [], 'firmware is current');
    await c.publishAsync('devices/gw-1/twin/reported', JSON.stringify({ firmware: { version: '2.3.0' } }), {
      qos: 1,
    });
    await expectAlarm('gw-1', 'old-firmware', 'active');
    await end(c);
  });
});
