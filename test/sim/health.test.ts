/**
 * The health pack end to end, in its own tenant: the simulator runs the
 * wearables of three patients in tenant `clinic`; patient 1 has a
 * tachycardia, patient 2 a desaturation; the alarms are critical and the
 * care team (operators the pack created in `clinic`) sees them and the
 * patients' data. A user and an API key of another tenant get 404 on the
 * same device and its telemetry: the tenant is the privacy boundary.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createHealthPack } from '../../sim/packs/health.js';
import { runSimulation } from '../../sim/runner.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { userClient } from '../helpers/fixtures.js';
import { type Client, client, login } from '../helpers/http.js';
import { adminClient } from '../helpers/mqtt.js';
import { createApiKey } from '../helpers/mqtt-extra.js';
import { until } from '../helpers/until.js';

interface Alarm {
  readonly device: string;
  readonly type: string;
  readonly severity: string;
  readonly rule?: string;
}

const CARE_PASSWORD = 'care-team-password-1';
let app: TestApp;
let admin: Client;
before(async () => {
  app = await startTestApp();
  admin = await adminClient(app);
});
after(() => app.stop());

test('patients in tenant clinic: critical alarms for the care team, 404 for another tenant', {
  timeout: 30_000,
}, async () => {
  assert.equal((await admin.post('/api/v1/tenants', { id: 'clinic' })).status, 201);
  const token = (await client(app.url).post<{ token: string }>('/api/v1/auth/login', app.admin)).body.token;
  const ac = new AbortController();
  const run = runSimulation({
    pack: createHealthPack({
      episodes: [
        { patient: 1, kind: 'tachycardia', atMin: 0 },
        { patient: 2, kind: 'desaturation', atMin: 0 },
      ],
      careTeamPassword: CARE_PASSWORD,
    }),
    devices: 3,
    rate: 30, // 10 readings a second each: the anomaly baseline (30 readings) is learnt in about 3 s
    speed: 60,
    url: app.url,
    auth: { token },
    tenant: 'clinic',
    seed: 5,
    durationMs: 18_000,
    signal: ac.signal,
  });
  let nurse: Client | undefined;
  try {
    // The care team exists once the pack's setup ran: operators of clinic.
    nurse = await until(
      async () => login(app.url, 'clinic-nurse', CARE_PASSWORD).catch(() => undefined),
      8000,
      'the care team',
    );
    const me = await nurse.get<{ tenant: string; role: string }>('/api/v1/auth/me');
    assert.deepEqual([me.body.tenant, me.body.role], ['clinic', 'operator']);
    const care = nurse;
    const alarmsOf = async (device: string, type: string) =>
      (await care.get<{ items: Alarm[] }>(`/api/v1/alarms?device=${device}&type=${type}`)).body.items[0];
    const anomaly = await until(
      () => alarmsOf('health-wearable-1', 'heart-rate-anomaly'),
      14_000,
      'heart-rate anomaly',
    );
    assert.equal(anomaly.severity, 'critical');
    assert.equal(anomaly.rule, 'health-heart-rate-anomaly');
    const desat = await until(() => alarmsOf('health-wearable-2', 'desaturation'), 14_000, 'desaturation');
    assert.equal(desat.severity, 'critical');
    const tachy = await until(
      () => alarmsOf('health-wearable-1', 'tachycardia'),
      8000,
      'sustained tachycardia',
    );
    assert.equal(tachy.severity, 'critical');
  } finally {
    ac.abort();
  }
  const summary = await run;
  assert.ok(summary.points > 100, `${summary.points} points`);
  assert.ok(nurse);
  // Patient 3 had no episode.
  const calm = await nurse.get<{ items: Alarm[] }>(
    '/api/v1/alarms?device=health-wearable-3&type=desaturation',
  );
  assert.deepEqual(calm.body.items, []);

  // The care team sees the patients' devices and data.
  const device = await nurse.get<{ labels: Record<string, string> }>('/api/v1/devices/health-wearable-1');
  assert.equal(device.status, 200);
  assert.equal(device.body.labels.patient, 'patient-001');
  const latest = await nurse.get<Record<string, { value: number }>>(
    '/api/v1/devices/health-wearable-2/telemetry/latest',
  );
  assert.equal(latest.status, 200);
  assert.ok((latest.body.spo2?.value ?? 0) > 50);
  const history = await nurse.get<{ items: unknown[] }>(
    '/api/v1/devices/health-wearable-1/telemetry?keys=heart_rate',
  );
  assert.ok(history.body.items.length > 10);

  // Another tenant: its admin and its API key find nothing, and learn nothing (404, not 403).
  assert.equal((await admin.post('/api/v1/tenants', { id: 'acme' })).status, 201);
  const outsider = await userClient(admin, app.url, {
    username: 'acme-admin',
    role: 'admin',
    tenant: 'acme',
  });
  const { key } = await createApiKey(outsider, 'admin');
  for (const c of [outsider, client(app.url, key)]) {
    for (const path of [
      '/api/v1/devices/health-wearable-1',
      '/api/v1/devices/health-wearable-1/telemetry/latest',
      '/api/v1/devices/health-wearable-1/telemetry?keys=heart_rate',
      '/api/v1/devices/health-wearable-1/twin',
    ]) {
      const r = await c.get(path);
      assert.equal(r.status, 404, `${path}: ${r.status}`);
    }
    const alarms = await c.get<{ items: unknown[] }>('/api/v1/alarms?device=health-wearable-1');
    assert.deepEqual(alarms.body.items, []);
    const list = await c.get<{ items: unknown[] }>('/api/v1/devices?profile=health-wearable');
    assert.deepEqual(list.body.items, []);
  }
});
