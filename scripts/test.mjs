#!/usr/bin/env node
// Runs every compiled test file (unit tests beside the code, integration
// tests in test/) with node's own runner. Node 20 has no glob support in
// `node --test`, so the files are listed here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureChromium } from './ensure-chromium.mjs';

function find(dir, out = []) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const filter = process.argv.slice(2);
let files = [...find('dist/src'), ...find('dist/sim'), ...find('dist/test')].sort();
if (filter.length) files = files.filter((f) => filter.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files found under dist/: run `npm run build` first');
  process.exit(1);
}
// The browser tests need Debian's Chromium: installed here if missing, never skipped.
if (files.some((f) => f.includes('browser')) && !ensureChromium()) process.exit(1);
// Files that measure latency on this machine run after the others, alone: beside two other test
// processes on a 2-CPU machine, "a flood does not starve another device (p95 < 200 ms)" measured
// the neighbours, not the broker.
const ALONE = ['test/mqtt/limits.test.js'];
const alone = files.filter((f) => ALONE.some((a) => f.endsWith(a)));
const together = files.filter((f) => !alone.includes(f));
const run = (list, concurrency) =>
  list.length === 0
    ? 0
    : (spawnSync(
        process.execPath,
        ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...list],
        { stdio: 'inherit' },
      ).status ?? 1);
const first = run(together, 2);
const second = run(alone, 1);
process.exit(first || second);
