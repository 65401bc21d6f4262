import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AlarmErrors } from '../src/alarms/errors.js';
import { ApiErrors } from '../src/api/errors.js';
import { AuthErrors } from '../src/auth/errors.js';
import { CommandErrors } from '../src/commands/errors.js';
import { ConfigErrors } from '../src/config/errors.js';
import { CoreErrors, type ErrorCatalogue } from '../src/core/errors.js';
import { AppErrors } from '../src/core/listen.js';
import { RegistryErrors } from '../src/registry/errors.js';
import { RuleErrors } from '../src/rules/errors.js';
import { StoreErrors } from '../src/store/errors.js';
import { TransferErrors } from '../src/store/transfer/errors.js';
import { TelemetryErrors } from '../src/telemetry/errors.js';
import { DeviceHttpErrors } from '../src/transports/http/errors.js';
import { TwinErrors } from '../src/twin/errors.js';

/** Every catalogue of the code base; a new context adds its own here. */
const CATALOGUES: ErrorCatalogue[] = [
  CoreErrors,
  ConfigErrors,
  StoreErrors,
  TransferErrors,
  ApiErrors,
  AppErrors,
  AuthErrors,
  RegistryErrors,
  TelemetryErrors,
  DeviceHttpErrors,
  TwinErrors,
  CommandErrors,
  AlarmErrors,
  RuleErrors,
];

test('every error catalogue in src/ is in the list above', () => {
  const src = new URL('../../src/', import.meta.url).pathname;
  const prefixes = new Set<string>();
  for (const file of readdirSync(src, { recursive: true }) as string[]) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
    for (const m of readFileSync(join(src, file), 'utf8').matchAll(/defineErrors\('([A-Z_]+)'/g)) {
      prefixes.add(m[1] as string);
    }
  }
  const listed = new Set(
    CATALOGUES.flatMap((c) => Object.values(c).map((d) => d.code.replace(/_[A-Z0-9]+$/, ''))),
  );
  const unlisted = [...prefixes].filter((p) => ![...listed].some((l) => l === p || l.startsWith(`${p}_`)));
  assert.deepEqual(unlisted, [], 'catalogues missing from CATALOGUES');
});

test('docs/errors.md lists exactly the error codes the code defines, each with its status and a fix', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const documented = new Map<string, string>();
  for (const m of doc.matchAll(/^### `([A-Z0-9_]+)` \((\d{3})\)\n([\s\S]*?)(?=^### |^## |(?![\s\S]))/gm)) {
    documented.set(m[1] as string, `${m[2]}|${m[3]}`);
  }
  const defined = new Map<string, number>();
  for (const c of CATALOGUES) for (const def of Object.values(c)) defined.set(def.code, def.status);

  const missing = [...defined.keys()].filter((k) => !documented.has(k));
  const stale = [...documented.keys()].filter((k) => !defined.has(k));
  assert.deepEqual(missing, [], 'codes without documentation');
  assert.deepEqual(stale, [], 'documented codes that no longer exist');
  for (const [code, status] of defined) {
    const [docStatus, body] = (documented.get(code) as string).split('|');
    assert.equal(Number(docStatus), status, `${code}: documented status`);
    assert.match(body as string, /\*\*How to solve:\*\*/, `${code}: needs a "How to solve" line`);
  }
});
