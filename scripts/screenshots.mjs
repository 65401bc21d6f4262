#!/usr/bin/env node
// Screenshots of the dashboard's main screens for docs/screenshots/ (linked
// from the README), taken in Debian's Chromium from the demo fleet of
// scripts/dashboard-demo.mjs after it has run for a while.
//
//   npm run build && node scripts/screenshots.mjs [--out docs/screenshots] [--warmup 45]
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_FLAGS, ensureChromium } from './ensure-chromium.mjs';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: 'docs/screenshots' },
    warmup: { type: 'string', default: '45' },
    port: { type: 'string', default: '18190' },
  },
});
if (!ensureChromium()) process.exit(1);
mkdirSync(args.out, { recursive: true });

const demo = spawn(
  process.execPath,
  [
    'scripts/dashboard-demo.mjs',
    '--port',
    args.port,
    '--mqtt-port',
    String(Number(args.port) + 1),
    '--overheat-after',
    '5',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const url = await new Promise((resolve, reject) => {
  demo.stdout.on('data', (c) => {
    const m = /Plexus demo: (\S+)/.exec(c.toString());
    if (m) resolve(m[1]);
  });
  demo.on('exit', (code) => reject(new Error(`the demo server stopped (${code})`)));
});
const warmup = Number(args.warmup);
console.log(`demo at ${url}; letting the fleet run ${warmup} s…`);
await new Promise((r) => setTimeout(r, warmup * 1000));

const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${url}/login`);
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', 'demo-admin-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${url}/`);
  const shoot = async (name, path, settle = 1500) => {
    await page.goto(url + path);
    await page.waitForLoadState('networkidle').catch(() => undefined);
    await page.waitForTimeout(settle);
    await page.screenshot({ path: join(args.out, `${name}.png`) });
    console.log(`  ${name}.png`);
  };
  await shoot('overview', '/');
  await shoot('devices', '/devices');
  await shoot('device-telemetry', '/devices/press-3');
  await shoot('device-twin', '/devices/thermo-1?tab=twin');
  await shoot('alarms', '/alarms?status=all');
  await shoot('rules', '/rules');
  await page.goto(`${url}/rules/press-overheat`);
  await page
    .getByRole('button', { name: /dry run/i })
    .first()
    .click()
    .catch(() => undefined);
  await page.waitForTimeout(2500);
  await page.screenshot({ path: join(args.out, 'rule-dry-run.png'), fullPage: true });
  console.log('  rule-dry-run.png');
  await shoot('map', '/map', 2500);
  await shoot('admin-profiles', '/admin/profiles');
  await page.getByRole('button', { name: /Switch to dark/ }).click();
  await shoot('overview-dark', '/');
  await shoot('device-telemetry-dark', '/devices/press-1');
  await page.setViewportSize({ width: 390, height: 844 });
  await shoot('devices-phone', '/devices');
} finally {
  await browser.close();
  demo.kill('SIGINT');
}
