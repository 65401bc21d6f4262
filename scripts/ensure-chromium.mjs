#!/usr/bin/env node
// Makes sure Debian's Chromium is installed for the browser tests
// (test/web/browser.test.ts drives it with playwright-core). Installs the
// `chromium` package with apt-get when it is missing and we are root;
// otherwise says exactly what to run. Exit code 0 when Chromium is there.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = process.env.PLEXUS_CHROMIUM ?? '/usr/bin/chromium';
/** Headless, and off the network (this machine has none to offer; test/web/browser.test.ts uses the same). */
export const CHROMIUM_FLAGS = [
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

export function ensureChromium() {
  if (existsSync(CHROMIUM)) return true;
  if (process.getuid?.() !== 0) {
    console.error(`Chromium is missing (${CHROMIUM}). Install it: sudo apt-get install -y chromium`);
    return false;
  }
  console.error('Installing Chromium for the browser tests (apt-get install chromium)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], {
    stdio: 'inherit',
    env,
  });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], {
      stdio: 'inherit',
      env,
    });
  }
  return r.status === 0 && existsSync(CHROMIUM);
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(ensureChromium() ? 0 : 1);
