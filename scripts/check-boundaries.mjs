#!/usr/bin/env node
// Checks the dependency direction of STYLE.md: `core` imports nothing else;
// the CLI reaches the simulator (sim/) through sim/index.ts only;
// contexts reach each other only through their index.ts; only the
// composition root imports a storage implementation (store/sqlite, ...).
// Storage interfaces may import the model of the context they store;
// each transport (transports/<protocol>/) is reached through its index.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve('src');
const SHARED = new Set(['core', 'api', 'store', 'cli']);
const IMPL = /^store\/(sqlite|postgres)\//;

function files(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const top = (rel) => (rel.includes('/') ? rel.split('/')[0] : '(root)');
const problems = [];
for (const file of files(SRC)) {
  const from = relative(SRC, file);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/^(?:import|export)[^'"]*?from '(\.[^']+)'/gm)) {
    const to = relative(SRC, resolve(dirname(file), m[1])).replace(/\.js$/, '.ts');
    const [a, b] = [top(from), top(to)];
    const fail = (why) => problems.push(`${from} → ${to}: ${why}`);
    // Outside src/, only the simulator (top-level sim/, ARCHITECTURE §3) is reached: through its index.
    if (to.startsWith('../')) {
      if (to !== '../sim/index.ts' || a !== 'cli')
        fail('src/ reaches outside itself only from cli/ to sim/index.ts');
      continue;
    }
    if (a === b) continue;
    if (a === 'core') fail('core must not depend on other folders');
    else if (IMPL.test(to) && from !== 'app.ts') fail('only app.ts wires a storage implementation');
    else if (!SHARED.has(b) && b !== '(root)') {
      // transports/ holds one context per protocol, each with its own index.ts.
      const viaIndex =
        to === `${b}/index.ts` || (b === 'transports' && /^transports\/(\w+\/index|transport)\.ts$/.test(to));
      const storedModel = a === 'store' && /\/([\w-]+-)?model\.ts$/.test(to);
      if (!viaIndex && !storedModel) fail(`import ${b}/index.ts instead`);
    }
  }
}
if (problems.length) {
  console.error(`module boundaries (STYLE.md):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('module boundaries: ok');
