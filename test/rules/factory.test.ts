/**
 * The factory scenario end to end, as a plant would run it: a press
 * (an MQTT.js device) reports temperature and vibration; the rules are kept
 * in a YAML file and applied with `plexus rules apply`; the maintenance
 * team gets an e-mail (a real SMTP server) and the maintenance system a
 * signed webhook (a real HTTP receiver) when the press overheats; unusual
 * vibration raises its own alarm; a press that keeps overheating is told to
 * shut down, obeys, cools, and the overheat alarm clears by itself. An
 * operator acknowledges the alarm with a comment, and its history shows who.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { SMTPServer } from 'smtp-server';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { userClient } from '../helpers/fixtures.js';
import type { Client } from '../helpers/http.js';
import { adminClient, connect, createDevice, end } from '../helpers/mqtt.js';
import { sleep, waitUntil } from '../helpers/mqtt-extra.js';

interface Mail {
  readonly to: string[];
  readonly data: string;
}
interface Hook {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}
interface Alarm {
  readonly id: string;
  readonly device: string;
  readonly rule?: string;
  readonly type: string;
  readonly severity: string;
  readonly status: string;
  readonly message: string;
  readonly details?: { key?: string; value?: unknown };
  readonly raisedAt: number;
  readonly acknowledgedBy?: string;
  readonly clearedBy?: string;
}
interface Command {
  readonly id: string;
  readonly name: string;
  readonly params: Record<string, unknown>;
  readonly status: string;
  readonly actor: string;
  readonly result?: unknown;
}

const SECRET = 'cmms-shared-secret-0123456789';

const rulesYaml = (
  hookUrl: string,
) => `# The plant's rules, kept in git and applied with \`plexus rules apply\`.
name: press-overheat
description: A press over 90 °C for 2 s needs maintenance
target:
  profile: press
condition:
  type: threshold
  key: temperature
  op: ">"
  value: 90
  for: 2s
alarm:
  type: overheat
  severity: major
  message: "{{device}} is at {{value}} °C"
  autoClear: true
actions:
  - type: email
    to: [maintenance@plant.example]
    subject: "Overheat: {{device}} at {{value}}"
    text: "Press {{device}} reads {{value}} C (rule {{rule}}, {{severity}})."
  - type: webhook
    url: ${hookUrl}
    secret: ${SECRET}
---
name: press-vibration
description: Vibration unlike the press's own recent behaviour
target:
  profile: press
condition:
  type: anomaly
  key: vibration
  threshold: 5
  warmup: 10
alarm:
  type: unusual-vibration
  severity: minor
---
name: press-shutdown
description: A press that keeps overheating is stopped
target:
  profile: press
condition:
  type: any
  conditions:
    - {type: threshold, key: temperature, op: ">", value: 90, for: 5s}
    - {type: threshold, key: temperature, op: ">", value: 100}
actions:
  - type: command
    name: shutdown
    params: {reason: "{{rule}}"}
`;

/**
 * The press: reports every 100 ms (device time on a fixed grid); 70 °C and
 * calm at first, one vibration spike, then it runs hot (95 °C and creeping
 * up) until told to shut down, when it answers `{"ok": true}` and cools.
 */
class Press {
  readonly commands: { name: string; params: unknown }[] = [];
  temperature = 70;
  spikeAt: number | undefined;
  hotSince: number | undefined;
  stoppedAt: number | undefined;
  #k = 0;
  #timer: NodeJS.Timeout | undefined;
  #sending: Promise<unknown> = Promise.resolve();

  constructor(
    readonly client: MqttClient,
    readonly id: string,
  ) {
    client.on('message', (topic, payload) => {
      const m = /^devices\/[^/]+\/commands\/([^/]+)$/.exec(topic);
      if (!m) return;
      const cmd = JSON.parse(payload.toString()) as { name: string; params: unknown };
      this.commands.push(cmd);
      if (cmd.name === 'shutdown') this.stoppedAt ??= Date.now();
      void client.publishAsync(`${topic}/result`, JSON.stringify({ ok: true, result: { stopped: true } }), {
        qos: 1,
      });
    });
  }

  async start(): Promise<void> {
    await this.client.subscribeAsync(`devices/${this.id}/commands/+`, { qos: 1 });
    const t0 = Date.now();
    const tick = () => {
      const k = this.#k++;
      const ts = t0 + k * 100;
      let vibration = k % 2 === 0 ? 0.95 : 1.05;
      if (k === 15) {
        vibration = 4;
        this.spikeAt = ts;
      }
      if (this.stoppedAt !== undefined) this.temperature = Math.max(40, this.temperature - 4);
      else if (k >= 18) {
        this.hotSince ??= ts;
        this.temperature = Math.min(99, 95 + (k - 18) * 0.05);
      }
      const values = { temperature: Math.round(this.temperature * 100) / 100, vibration };
      this.#sending = this.client.publishAsync(
        `devices/${this.id}/telemetry`,
        JSON.stringify({ ts, values }),
        { qos: 1 },
      );
      // The next report at its time on the grid (no drift, never ahead of the clock).
      this.#timer = setTimeout(tick, Math.max(0, t0 + (k + 1) * 100 - Date.now()));
    };
    tick();
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    await this.#sending;
  }
}

describe('the factory scenario', () => {
  const mails: Mail[] = [];
  const hooks: Hook[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, done) {
      let data = '';
      stream.on('data', (c: Buffer) => {
        data += c.toString();
      });
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), data });
        done();
      });
    },
  });
  const cmms = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      hooks.push({ headers: req.headers, body });
      res.statusCode = 201;
      res.end();
    });
  });
  let app: TestApp;
  let api: Client;
  let home: string;

  before(async () => {
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => cmms.listen(0, '127.0.0.1', r));
    app = await startTestApp({
      env: {
        PLEXUS_ACTIONS_EMAIL_HOST: '127.0.0.1',
        PLEXUS_ACTIONS_EMAIL_PORT: String((smtp.server.address() as AddressInfo).port),
        PLEXUS_ACTIONS_EMAIL_FROM: 'plexus@plant.example',
      },
    });
    api = await adminClient(app);
    home = await mkdtemp(join(tmpdir(), 'plexus-factory-'));
  });
  after(async () => {
    // Also when `before` failed half way: never leave a listening server behind (the run would hang).
    try {
      await app?.stop();
    } finally {
      await new Promise<void>((r) => smtp.close(() => r()));
      cmms.close();
      if (home) await rm(home, { recursive: true, force: true });
    }
  });

  test('overheat → e-mail + webhook + alarm; vibration → alarm; keeps overheating → shutdown; cools → clears', async () => {
    // Set-up as an admin would do it: a profile, the press, the rules from a YAML file.
    assert.equal((await api.post('/api/v1/profiles', { id: 'press' })).status, 201);
    const key = await api.post<{ key: string }>('/api/v1/apikeys', { name: 'plant-ci', role: 'admin' });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    const file = join(home, 'rules.yaml');
    const hookUrl = `http://127.0.0.1:${(cmms.address() as AddressInfo).port}/api/work-orders`;
    await writeFile(file, rulesYaml(hookUrl));
    const cli = await runCli(['rules', 'apply', file], {
      PLEXUS_URL: app.url,
      PLEXUS_API_KEY: key.body.key,
      PLEXUS_CONFIG_DIR: join(home, 'config'),
      HOME: home,
    });
    assert.equal(cli.code, 0, cli.stderr);
    assert.deepEqual(
      cli.stdout.trim().split('\n'),
      [
        'created   press-overheat (version 1)',
        'created   press-vibration (version 1)',
        'created   press-shutdown (version 1)',
      ],
      cli.stdout,
    );
    const maria = await userClient(api, app.url, { username: 'maria', role: 'operator' });

    const device = await createDevice(api, { id: 'press-7', profile: 'press' });
    const press = new Press(await connect(app, device), device.id);
    const alarms = async (q: Record<string, string>) =>
      (await api.get<{ items: Alarm[] }>(`/api/v1/alarms?${new URLSearchParams(q)}`)).body.items;
    let overheat: Alarm | undefined;
    let vibration: Alarm | undefined;
    const started = Date.now();
    await press.start();
    try {
      // (b) the vibration spike, judged against the press's own baseline.
      await waitUntil(() => press.spikeAt !== undefined, 5000, 'the spike');
      for (;;) {
        [vibration] = await alarms({ rule: 'press-vibration' });
        if (vibration || Date.now() - started > 5000) break;
        await sleep(50);
      }
      assert.ok(vibration, 'unusual vibration raised an alarm');
      assert.deepEqual(
        [vibration.device, vibration.type, vibration.severity, vibration.raisedAt, vibration.details?.value],
        ['press-7', 'unusual-vibration', 'minor', press.spikeAt, 4],
      );

      // (a) over 90 °C for 2 s: a major alarm, and maintenance is told.
      for (;;) {
        [overheat] = await alarms({ rule: 'press-overheat', status: 'open' });
        if (overheat || Date.now() - started > 8000) break;
        await sleep(50);
      }
      assert.ok(overheat, 'overheat alarm raised');
      assert.ok(press.hotSince !== undefined);
      assert.deepEqual(
        [overheat.device, overheat.type, overheat.severity, overheat.status],
        ['press-7', 'overheat', 'major', 'active'],
      );
      assert.ok(
        overheat.raisedAt >= press.hotSince + 2000,
        `raised ${overheat.raisedAt - press.hotSince} ms after the press went over 90 °C`,
      );
      assert.match(overheat.message, /^press-7 is at 9\d(\.\d+)? °C$/);

      // An operator is on it: acknowledged with a comment.
      const ack = await maria.post<Alarm>(`/api/v1/alarms/${overheat.id}/acknowledge`, {
        comment: 'on my way, bringing the spare pump',
      });
      assert.equal(ack.status, 200, JSON.stringify(ack.body));
      assert.deepEqual([ack.body.status, ack.body.acknowledgedBy], ['acknowledged', 'user:maria']);

      await waitUntil(() => mails.length >= 1 && hooks.length >= 1, 5000, 'the e-mail and the webhook');
      const [mail] = mails as [Mail];
      assert.deepEqual(mail.to, ['maintenance@plant.example']);
      assert.match(mail.data, /^Subject: Overheat: press-7 at 9\d(\.\d+)?\r$/m);
      assert.match(mail.data, /Press press-7 reads 9\d(\.\d+)? C \(rule press-overheat, major\)\./);

      const [hook] = hooks as [Hook];
      const expected = `sha256=${createHmac('sha256', SECRET).update(hook.body).digest('hex')}`;
      assert.equal(hook.headers['x-plexus-signature'], expected, 'signed with the shared secret');
      assert.equal(hook.headers['x-plexus-rule'], 'press-overheat');
      assert.ok(hook.headers['x-plexus-delivery'], 'a delivery id to drop repeats');
      const sent = JSON.parse(hook.body) as Record<string, unknown>;
      assert.deepEqual(
        [sent.rule, sent.device, sent.tenant, sent.key, sent.severity, sent.alarm],
        ['press-overheat', 'press-7', 'default', 'temperature', 'major', 'overheat'],
      );
      assert.ok(typeof sent.value === 'number' && sent.value > 90, `value ${sent.value}`);

      // (c) still over 90 °C after 5 s: the press is told to shut down, and obeys.
      await waitUntil(() => press.stoppedAt !== undefined, 8000, 'the shutdown command');
      assert.ok(
        (press.stoppedAt as number) >= press.hotSince + 5000,
        'shut down only after 5 s over the line',
      );
      assert.deepEqual(
        press.commands.map((c) => [c.name, c.params]),
        [['shutdown', { reason: 'press-shutdown' }]],
      );
      let cmd: Command | undefined;
      for (;;) {
        [cmd] = (await api.get<{ items: Command[] }>('/api/v1/devices/press-7/commands')).body.items;
        if (cmd?.status === 'succeeded' || Date.now() - started > 15_000) break;
        await sleep(50);
      }
      assert.deepEqual(
        [cmd?.name, cmd?.status, cmd?.actor, cmd?.result],
        ['shutdown', 'succeeded', 'rule:press-shutdown', { stopped: true }],
      );

      // It cools down: the overheat alarm clears by itself, and its history shows who acknowledged.
      let history: (Alarm & { comments: { author: string; text: string }[] }) | undefined;
      for (;;) {
        history = (
          await api.get<Alarm & { comments: { author: string; text: string }[] }>(
            `/api/v1/alarms/${overheat.id}`,
          )
        ).body;
        if (history.status === 'cleared' || Date.now() - started > 18_000) break;
        await sleep(50);
      }
      assert.deepEqual(
        [history?.status, history?.clearedBy, history?.acknowledgedBy],
        ['cleared', 'rule:press-overheat', 'user:maria'],
      );
      assert.deepEqual(
        history?.comments.map((c) => [c.author, c.text]),
        [['user:maria', 'on my way, bringing the spare pump']],
      );
      assert.ok(press.temperature <= 90);
    } finally {
      await press.stop();
    }
    // One firing, one notification each (the press did not flap).
    assert.equal(mails.length, 1);
    assert.equal(hooks.length, 1);
    assert.equal((await alarms({ rule: 'press-overheat' })).length, 1);
    assert.equal(press.commands.length, 1);
    await end(press.client);
  });
});
