/**
 * The dashboard in a real browser (issue #7, "Proof"): Debian's Chromium,
 * headless, driven by playwright-core against the built dashboard served
 * by a real server. An operator logs in, creates a device, sees its live
 * telemetry from an MQTT client on the chart, acknowledges the alarm a rule
 * raised, and sends a command the device answers. Normal use logs no
 * console error. Screenshots of each step go to $PLEXUS_SHOTS (default: a
 * temporary directory) for a person to look at.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { type Browser, chromium, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/http.js';
import { adminClient, connect, end } from '../helpers/mqtt.js';

const CHROMIUM = process.env.PLEXUS_CHROMIUM ?? '/usr/bin/chromium';
/** Flags that keep Chromium headless and off the network (this machine has none to offer). */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
];

describe('the dashboard in Chromium', () => {
  let app: TestApp;
  let api: Client;
  let browser: Browser;
  let page: Page;
  let device: MqttClient | undefined;
  const problems: string[] = [];
  const shots = process.env.PLEXUS_SHOTS ?? mkdtempSync(join(tmpdir(), 'plexus-shots-'));
  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

  before(async () => {
    mkdirSync(shots, { recursive: true });
    app = await startTestApp();
    api = await adminClient(app);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  });
  after(async () => {
    if (device) await end(device);
    await browser?.close();
    await app?.stop();
  });

  test('log in, create a device, watch its live telemetry, acknowledge its alarm, command it', async () => {
    // Log in: any page asks for it first, then comes back.
    await page.goto(`${app.url}/devices`);
    await page.waitForURL(/\/login/);
    await page.fill('input[name=username]', app.admin.username);
    await page.fill('input[name=password]', app.admin.password);
    await shot('01-login');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${app.url}/devices`);

    // Create a device; its secret is shown once.
    await page.getByRole('button', { name: 'New device' }).click();
    await page.fill('input[name=id]', 'press-42');
    await page.getByRole('button', { name: 'Create device' }).click();
    const secret = (await page.getByTestId('secret').textContent())?.trim() ?? '';
    assert.ok(secret.length >= 16, `secret shown: ${secret}`);
    await shot('02-device-created');

    // A rule that raises an alarm when the press overheats (rules are data: the API is fine here).
    const rule = await api.call('PUT', '/api/v1/rules/overheat', {
      target: { devices: ['press-42'] },
      condition: { type: 'threshold', key: 'temperature', op: '>', value: 90 },
      alarm: { type: 'overheat', severity: 'major', autoClear: false },
    });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));

    // The press connects with that secret and obeys commands.
    const press = await connect(app, { id: 'press-42', secret, tenant: 'default' });
    device = press;
    await press.subscribeAsync('devices/press-42/commands/+', { qos: 1 });
    press.on('message', (topic) => {
      const id = topic.split('/').pop() as string;
      void press.publishAsync(
        `devices/press-42/commands/${id}/result`,
        JSON.stringify({ ok: true, result: { rebooted: true } }),
        { qos: 1 },
      );
    });

    // Live telemetry on the device page.
    await page.goto(`${app.url}/devices/press-42`);
    await page
      .getByRole('heading', { name: /press-42/ })
      .first()
      .waitFor();
    // Publish once the page follows the live stream (a point sent before that is in no answer the page asked for).
    await page.locator('.live.on').first().waitFor();
    await press.publishAsync('devices/press-42/telemetry', JSON.stringify({ temperature: 71.5 }), { qos: 1 });
    await page.getByTestId('latest-temperature').filter({ hasText: '71.5' }).waitFor();
    for (const t of [72.1, 73.4, 74.0]) {
      await press.publishAsync('devices/press-42/telemetry', JSON.stringify({ temperature: t }), { qos: 1 });
    }
    await page.getByTestId('latest-temperature').filter({ hasText: '74' }).waitFor();
    // The chart draws the key (its legend names it) with the points that streamed in.
    await page.locator('.chart .u-legend').filter({ hasText: 'temperature' }).first().waitFor();
    assert.ok(await page.locator('.chart canvas').count(), 'the chart is drawn');
    await shot('03-device-live');

    // Overheat: the rule raises an alarm; the operator acknowledges it in the console.
    await press.publishAsync('devices/press-42/telemetry', JSON.stringify({ temperature: 95.5 }), { qos: 1 });
    await page.goto(`${app.url}/alarms`);
    const row = page.getByRole('row').filter({ hasText: 'press-42' }).first();
    await row.waitFor();
    await row.getByRole('button', { name: 'Acknowledge' }).click();
    const confirm = page.locator('dialog[open]').getByRole('button', { name: 'Acknowledge' });
    if (await confirm.count()) await confirm.click();
    await page
      .getByRole('row')
      .filter({ hasText: 'press-42' })
      .filter({ hasText: 'acknowledged' })
      .first()
      .waitFor();
    await shot('04-alarm-acknowledged');
    const alarms = await api.get<{ items: { status: string; acknowledgedBy?: string }[] }>(
      '/api/v1/alarms?device=press-42',
    );
    assert.deepEqual(
      alarms.body.items.map((a) => [a.status, a.acknowledgedBy]),
      [['acknowledged', 'user:admin']],
    );

    // A command from the device page; the press answers and the result shows.
    await page.goto(`${app.url}/devices/press-42`);
    await page.getByRole('tab', { name: 'Commands' }).click();
    await page.fill('input[name=command]', 'reboot');
    await page.getByRole('button', { name: 'Send command' }).click();
    await page.getByText('succeeded').first().waitFor();
    await page
      .getByText(/rebooted/)
      .first()
      .waitFor();
    await shot('05-command-succeeded');

    assert.deepEqual(problems, [], 'no console errors in normal use');
  });
});
