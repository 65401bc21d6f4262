/**
 * The runner's mechanics with a small pack written here: provisioning (and
 * again on the same server), the send rate, commands and desired state
 * handed to the model, stopping on a signal, and bad options.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type DeviceModel, runSimulation, type ScenarioPack, SimError } from '../../sim/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient } from '../helpers/mqtt.js';
import { createApiKey, sleep } from '../helpers/mqtt-extra.js';

/** A counter that obeys `add`, follows desired `step`, and reports what it follows. */
class Counter implements DeviceModel {
  n = 0;
  stepBy = 1;
  changed = true;
  step() {
    this.n += this.stepBy;
    return { n: this.n };
  }
  onCommand(name: string, params: Record<string, unknown>) {
    if (name !== 'add') throw new Error(`no command ${name}`);
    this.n += Number(params.by ?? 0);
    return { n: this.n };
  }
  onDesired(state: Record<string, unknown>) {
    if (typeof state.step === 'number') this.stepBy = state.step;
    this.changed = true;
  }
  reported() {
    if (!this.changed) return undefined;
    this.changed = false;
    return { step: this.stepBy };
  }
}

const counterPack: ScenarioPack = {
  name: 'counter',
  title: 'Counters',
  description: 'Counts.',
  defaults: { devices: 3, intervalS: 1 },
  profiles: [{ id: 'counter', telemetry: { n: { type: 'number' } } }],
  groups: [{ id: 'counters' }],
  rules: (t) => [
    {
      name: 'counter-high',
      target: { profile: 'counter' },
      condition: {
        type: 'threshold',
        key: 'n',
        op: '>',
        value: 1e9,
        for: `${Math.round(60_000 / t.speed)}ms`,
      },
      alarm: { type: 'high', severity: 'info' },
    },
  ],
  devices: (n) =>
    Array.from({ length: n }, (_, i) => ({
      id: `counter-c-${i + 1}`,
      profile: 'counter',
      groups: ['counters'],
    })),
  model: () => new Counter(),
};

let app: TestApp;
let api: Client;
let key: string;
before(async () => {
  app = await startTestApp();
  api = await adminClient(app);
  key = (await createApiKey(api, 'admin')).key;
});
after(async () => {
  await app?.stop();
});

describe('runSimulation', () => {
  test('provisions, sends at the rate asked, and closes every connection', { timeout: 30_000 }, async () => {
    const progress: number[] = [];
    const s = await runSimulation({
      pack: counterPack,
      rate: 20,
      url: app.url,
      auth: { apiKey: key },
      durationMs: 3000,
      onProgress: (p) => progress.push(p.connected),
    });
    assert.equal(s.devices, 3);
    assert.ok(s.points >= 45 && s.points <= 65, `${s.points} points in 3 s at 20/s`);
    assert.equal(s.errors, 0);
    assert.equal(s.connected, 0);
    assert.ok(progress.includes(3), 'all three connected while running');
    const device = (await api.get<{ profile: string; groups: string[] }>('/api/v1/devices/counter-c-2')).body;
    assert.deepEqual([device.profile, device.groups], ['counter', ['counters']]);
    const latest = (await api.get<{ n: { value: number } }>('/api/v1/devices/counter-c-1/telemetry/latest'))
      .body;
    assert.ok(latest.n.value >= 10, `counter-c-1 reached ${latest.n.value}`);
    const rule = (
      await api.get<{ version: number; spec: { condition: { for: string } } }>('/api/v1/rules/counter-high')
    ).body;
    assert.equal(rule.version, 1);
  });

  test('runs again on the same server: new secrets, old ones revoked, the rule follows the speed', {
    timeout: 30_000,
  }, async () => {
    const before = (await api.get<{ items: unknown[] }>('/api/v1/devices/counter-c-1/credentials')).body
      .items;
    const s = await runSimulation({
      pack: counterPack,
      speed: 2,
      url: app.url,
      auth: { apiKey: key },
      durationMs: 1000,
    });
    assert.equal(s.errors, 0);
    assert.ok(s.points > 0);
    const now = (await api.get<{ items: { id: string }[] }>('/api/v1/devices/counter-c-1/credentials')).body
      .items;
    assert.equal(now.length, 1, 'one live secret, the new one');
    assert.equal(before.length, 1);
    const rule = (await api.get<{ version: number }>('/api/v1/rules/counter-high')).body;
    assert.equal(rule.version, 2, 'a new duration at --speed 2: a new version');
  });

  test('commands reach the model and its answer is the result; desired state is followed and reported', {
    timeout: 30_000,
  }, async () => {
    const ac = new AbortController();
    const run = runSimulation({
      pack: counterPack,
      devices: 1,
      rate: 5,
      url: app.url,
      auth: { apiKey: key },
      signal: ac.signal,
    });
    run.catch(() => undefined);
    try {
      for (let i = 0; i < 50; i++) {
        const d = (await api.get<{ status: string }>('/api/v1/devices/counter-c-1')).body;
        if (d.status === 'online') break;
        await sleep(100);
      }
      const ok = await api.post<{ status: string; result: { n: number } }>(
        '/api/v1/devices/counter-c-1/commands?wait=5s',
        { name: 'add', params: { by: 1000 } },
      );
      assert.equal(ok.body.status, 'succeeded', JSON.stringify(ok.body));
      assert.ok(ok.body.result.n >= 1000);
      const bad = await api.post<{ status: string; error?: string; result?: unknown }>(
        '/api/v1/devices/counter-c-1/commands?wait=5s',
        { name: 'explode' },
      );
      assert.equal(bad.body.status, 'failed', JSON.stringify(bad.body));
      assert.equal(
        (await api.patch('/api/v1/devices/counter-c-1/twin', { desired: { step: 7 } })).status,
        200,
      );
      let reported: Record<string, unknown> = {};
      for (let i = 0; i < 50 && reported.step !== 7; i++) {
        await sleep(100);
        reported = (await api.get<{ reported: Record<string, unknown> }>('/api/v1/devices/counter-c-1/twin'))
          .body.reported;
      }
      assert.equal(reported.step, 7);
    } finally {
      ac.abort();
    }
    const s = await run;
    assert.equal(s.commandsAnswered, 2);
    assert.ok(s.elapsedMs < 15_000);
  });

  test('bad options are refused before anything is sent; a wrong key and a dead server say so', {
    timeout: 30_000,
  }, async () => {
    const base = { pack: counterPack, url: app.url, auth: { apiKey: key }, durationMs: 100 };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ rate: 0 }, /rate must be a number above 0/],
      [{ speed: -1 }, /speed must be a number above 0/],
      [{ devices: 1.5 }, /devices must be a whole number/],
      [{ seed: -3 }, /seed must be a whole number/],
      [{ url: 'ftp://x' }, /url must be http/],
      [{ mqttUrl: 'http://x' }, /mqttUrl must be an mqtt/],
    ];
    for (const [extra, message] of cases) {
      await assert.rejects(
        runSimulation({ ...base, ...extra } as Parameters<typeof runSimulation>[0]),
        (err: unknown) =>
          err instanceof SimError && err.code === 'SIM_OPTION_INVALID' && message.test(err.message),
        JSON.stringify(extra),
      );
    }
    await assert.rejects(
      runSimulation({ ...base, auth: { apiKey: 'not-a-key' } }),
      (err: unknown) => err instanceof SimError && err.code === 'SIM_API_ERROR' && err.status === 401,
    );
    await assert.rejects(
      runSimulation({ ...base, url: 'http://127.0.0.1:9' }),
      (err: unknown) => err instanceof SimError && err.code === 'SIM_UNREACHABLE',
    );
  });
});
