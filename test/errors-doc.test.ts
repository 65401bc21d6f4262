import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ApiErrors } from '../src/api/errors.js';
import { AuthErrors } from '../src/auth/errors.js';
import { ConfigErrors } from '../src/config/errors.js';
import { CoreErrors, type ErrorCatalogue } from '../src/core/errors.js';
import { AppErrors } from '../src/core/listen.js';
import { RegistryErrors } from '../src/registry/errors.js';
import { StoreErrors } from '../src/store/errors.js';

/** Every catalogue of the code base; a new context adds its own here. */
const CATALOGUES: ErrorCatalogue[] = [
  CoreErrors,
  ConfigErrors,
  StoreErrors,
  ApiErrors,
  AppErrors,
  AuthErrors,
  RegistryErrors,
];

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
