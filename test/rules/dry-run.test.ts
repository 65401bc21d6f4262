/**
 * Dry run (issue #6): two hours of a press's history, stored through real
 * MQTT, replayed by a rule that is not saved, by a saved disabled rule and
 * by the CLI; only targeted devices count; bad input is refused with the
 * exact path.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import type { Client } from '../helpers/http.js';
import { adminClient, connect, createDevice, end } from '../helpers/mqtt.js';

const MIN = 60_000;

interface Answer {
  readonly rule: string;
  readonly devices: number;
  readonly points: number;
  readonly total: number;
  readonly truncated: boolean;
  readonly notes: string[];
  readonly firings: {
    device: string;
    at: number;
    until: number | null;
    key?: string;
    value?: unknown;
    acts: boolean;
  }[];
}

/** 120 minutes: hot (95) at minutes 30-39, briefly at 60-62, and again at 100-109; 70 otherwise. */
const temperature = (minute: number) =>
  (minute >= 30 && minute < 40) || (minute >= 60 && minute < 63) || (minute >= 100 && minute < 110) ? 95 : 70;

const RULE = {
  name: 'overheat-5m',
  target: { profile: 'press' },
  condition: { type: 'threshold', key: 'temperature', op: '>', value: 90, for: '5m' },
  alarm: { type: 'overheat', severity: 'major' },
  throttle: '2h',
};

describe('rule dry run', () => {
  let app: TestApp;
  let api: Client;
  let home: string;
  let key: string;
  const t0 = Math.floor((Date.now() - 3 * 3_600_000) / MIN) * MIN;
  const range = { from: t0, to: t0 + 120 * MIN };

  before(async () => {
    app = await startTestApp();
    api = await adminClient(app);
    home = await mkdtemp(join(tmpdir(), 'plexus-dry-run-'));
    key = (await api.post<{ key: string }>('/api/v1/apikeys', { name: 'dry-run', role: 'admin' })).body.key;
    assert.equal((await api.post('/api/v1/profiles', { id: 'press' })).status, 201);
    const history = JSON.stringify(
      Array.from({ length: 120 }, (_, m) => ({ ts: t0 + m * MIN, values: { temperature: temperature(m) } })),
    );
    for (const [id, profile] of [
      ['press-1', 'press'],
      ['press-2', 'press'],
      ['pump-1', undefined],
    ] as const) {
      const d = await createDevice(api, { id, ...(profile ? { profile } : {}) });
      const c = await connect(app, d);
      await c.publishAsync(`devices/${id}/telemetry`, history, { qos: 1 });
      await end(c);
    }
  });
  after(async () => {
    await app.stop();
    await rm(home, { recursive: true, force: true });
  });

  test('a rule not yet saved: when it would have fired, for how long, and whether it would have acted', async () => {
    const r = await api.post<Answer>('/api/v1/rules/dry-run', { rule: RULE, ...range });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.devices, 2, 'the two presses; the pump is not targeted');
    assert.equal(r.body.points, 240);
    assert.equal(r.body.total, 4);
    assert.equal(r.body.truncated, false);
    const byDevice = r.body.firings.filter((f) => f.device === 'press-1');
    assert.deepEqual(
      byDevice.map((f) => [
        (f.at - t0) / MIN,
        f.until === null ? null : (f.until - t0) / MIN,
        f.acts,
        f.value,
      ]),
      [
        [35, 40, true, 95],
        [105, 110, false, 95], // within the 2 h throttle of the first: no second e-mail
      ],
      'the 3-minute spike at 60 does not last 5 minutes',
    );
    assert.match(r.body.notes.join(' '), /checked every 2 s/);
    // Nothing was saved.
    assert.equal((await api.get(`/api/v1/rules/${RULE.name}`)).status, 404);
    // Only some of the targeted devices.
    const one = await api.post<Answer>('/api/v1/rules/dry-run', {
      rule: RULE,
      ...range,
      devices: ['press-2'],
    });
    assert.deepEqual([one.body.devices, one.body.total], [1, 2]);
  });

  test('a saved, disabled rule replays by name; ISO times are taken', async () => {
    const saved = await api.call('PUT', '/api/v1/rules/hot-now', {
      ...RULE,
      name: 'hot-now',
      enabled: false,
      condition: { type: 'threshold', key: 'temperature', op: '>', value: 90 },
      throttle: '0s',
    });
    assert.equal(saved.status, 201, JSON.stringify(saved.body));
    const r = await api.post<Answer>('/api/v1/rules/hot-now/dry-run', {
      from: new Date(range.from).toISOString(),
      to: new Date(range.to).toISOString(),
      devices: ['press-1'],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(
      r.body.firings.map((f) => [(f.at - t0) / MIN, f.until === null ? null : (f.until - t0) / MIN, f.acts]),
      [
        [30, 40, true],
        [60, 63, true],
        [100, 110, true],
      ],
    );
    assert.equal((await api.post('/api/v1/rules/no-such-rule/dry-run', {})).status, 404);
  });

  test('bad input: an invalid rule, a reversed or too long range, a bad time', async () => {
    const invalid = await api.post<{ code: string; errors: { path: string }[] }>('/api/v1/rules/dry-run', {
      rule: { ...RULE, condition: { type: 'threshold', key: 'temperature', op: '>>', value: 90 } },
    });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.code, 'RULE_INVALID');
    assert.deepEqual(
      invalid.body.errors.map((e) => e.path),
      ['/body/rule/condition/op'],
    );
    for (const [body, path] of [
      [{ from: range.to, to: range.from }, '/body/from'],
      [{ from: range.to - 40 * 86_400_000, to: range.to }, '/body/from'],
      [{ from: 'yesterday' }, '/body/from'],
      [{ devices: [] }, '/body/devices'],
    ] as const) {
      const r = await api.post<{ code: string; errors: { path: string }[] }>('/api/v1/rules/dry-run', {
        rule: RULE,
        ...body,
      });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.deepEqual(
        r.body.errors.map((e) => e.path),
        [path],
        JSON.stringify(body),
      );
    }
  });

  test('plexus rules dry-run <file> prints the firings as a table', async () => {
    const file = join(home, 'overheat.yaml');
    await writeFile(
      file,
      `name: overheat-5m
target: {profile: press}
condition: {type: threshold, key: temperature, op: ">", value: 90, for: 5m}
alarm: {type: overheat, severity: major}
throttle: 2h
`,
    );
    const run = await runCli(
      [
        'rules',
        'dry-run',
        file,
        '--from',
        new Date(range.from).toISOString(),
        '--to',
        String(range.to),
        '--device',
        'press-1',
      ],
      { PLEXUS_URL: app.url, PLEXUS_API_KEY: key, PLEXUS_CONFIG_DIR: join(home, 'config'), HOME: home },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /1 device, 120 points, 0 events replayed/);
    assert.match(run.stdout, /It would have fired 2 times/);
    assert.match(run.stdout, /press-1\s+temperature = 95\s+5 min\s+yes/);
    assert.match(run.stdout, /press-1\s+temperature = 95\s+5 min\s+throttled/);
    const bad = join(home, 'bad.yaml');
    await writeFile(
      bad,
      'name: x\ntarget: {profile: press}\ncondition: {type: treshold}\nalarm: {type: x}\n',
    );
    const refused = await runCli(['rules', 'dry-run', bad], {
      PLEXUS_URL: app.url,
      PLEXUS_API_KEY: key,
      PLEXUS_CONFIG_DIR: join(home, 'config'),
      HOME: home,
    });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /\/condition\/type: type must be one of/);
  });
});
