import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkSection, sectionRows, tagIndex, testTags, VERSIONS, type Version } from './table-check.js';

// Tests run from dist/test/mqtt/conformance/: the sources are four levels up.
const ROOT = new URL('../../../../', import.meta.url).pathname;
const DOC = join(ROOT, 'docs/mqtt-conformance.md');

function testSources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) testSources(p, out);
    else if (name.endsWith('.test.ts')) out.push(readFileSync(p, 'utf8'));
  }
  return out;
}

function specIds(version: Version): string[] | undefined {
  const file = join(ROOT, `test/mqtt/conformance/spec-ids-${version}.json`);
  if (!existsSync(file)) return undefined;
  const json = JSON.parse(readFileSync(file, 'utf8')) as { version: string; ids: string[] };
  assert.equal(json.version, version, `${file} says version ${json.version}`);
  return json.ids;
}

const doc = readFileSync(DOC, 'utf8');
const tags = tagIndex(testSources(join(ROOT, 'test')));

for (const version of VERSIONS) {
  test(`docs/mqtt-conformance.md: the MQTT ${version} table lists every statement once, in order, each proven by a tagged test or given a reason`, () => {
    const problems = checkSection(doc, version, specIds(version), tags);
    assert.deepEqual(problems, [], `\n${problems.join('\n')}`);
  });
}

// The checker itself, on small inputs: each kind of dishonesty is caught.
// Fake sources are built with `call` so that this file's own text carries no tags.
const call = (name: string, fn = 'test', quote = "'") => `${fn}(${quote}${name}${quote}, () => {});`;
const SPEC = ['MQTT-1.0.0-1', 'MQTT-1.0.0-2', 'MQTT-1.0.0-3'];
const table = (...rows: string[]) =>
  ['## MQTT 3.1.1', '| Statement | Requirement | Proof |', '|---|---|---|', ...rows, '', '## Other'].join(
    '\n',
  );
const proven = tagIndex([
  call('[3.1.1 MQTT-1.0.0-1] one'),
  call('[3.1.1 MQTT-1.0.0-3][3.1.1 MQTT-1.0.0-1] two', 'it', '"'),
]);
const honest = table(
  '| MQTT-1.0.0-1 | a \\| b | test |',
  '| MQTT-1.0.0-2 | c | n/a: client-side statement |',
  '| MQTT-1.0.0-3 | d | test |',
);

test('the table checker accepts an honest table', () => {
  assert.deepEqual(checkSection(honest, '3.1.1', SPEC, proven), []);
  assert.deepEqual(
    sectionRows(honest, '3.1.1')?.map((r) => r.proof),
    ['test', 'n/a: client-side statement', 'test'],
  );
});

test('the table checker reports a missing section and a missing spec list by name', () => {
  assert.deepEqual(checkSection(honest, '5.0', undefined, proven), [
    'spec-ids-5.0.json is missing',
    'section "## MQTT 5.0" is missing from docs/mqtt-conformance.md',
  ]);
});

test('the table checker catches a removed, an extra, a duplicate and a misplaced row', () => {
  const removed = honest.replace('| MQTT-1.0.0-2 | c | n/a: client-side statement |\n', '');
  assert.deepEqual(checkSection(removed, '3.1.1', SPEC, proven), ['MQTT-1.0.0-2 (spec) has no row']);
  const extra = honest.replace('## Other', '| MQTT-9.9.9-9 | x | n/a: y |\n## Other');
  assert.match(
    checkSection(extra, '3.1.1', SPEC, proven).join('\n'),
    /MQTT-9\.9\.9-9 is not a 3\.1\.1 statement/,
  );
  const twice = honest.replace('## Other', '| MQTT-1.0.0-3 | d | test |\n## Other');
  assert.match(checkSection(twice, '3.1.1', SPEC, proven).join('\n'), /MQTT-1\.0\.0-3 is listed twice/);
  const swapped = table(
    '| MQTT-1.0.0-2 | c | n/a: client-side statement |',
    '| MQTT-1.0.0-1 | a | test |',
    '| MQTT-1.0.0-3 | d | test |',
  );
  assert.match(
    checkSection(swapped, '3.1.1', SPEC, proven).join('\n'),
    /MQTT-1\.0\.0-1 is out of spec order/,
  );
});

test('the table checker catches a "test" row without a test, a tag without a row and a bad proof cell', () => {
  const untested = checkSection(honest, '3.1.1', SPEC, tagIndex([call('[3.1.1 MQTT-1.0.0-1] one')]));
  assert.deepEqual(untested, [
    'line 6: MQTT-1.0.0-3 says "test" but no test name carries [3.1.1 MQTT-1.0.0-3]',
  ]);
  const orphan = checkSection(honest, '3.1.1', SPEC, tagIndex(SPEC.map((id) => call(`[3.1.1 ${id}] x`))));
  assert.deepEqual(orphan, [
    'test "[3.1.1 MQTT-1.0.0-2] x" carries [3.1.1 MQTT-1.0.0-2] but the table has no "test" row for it',
  ]);
  const bad = honest.replace('n/a: client-side statement', 'partly');
  assert.match(checkSection(bad, '3.1.1', SPEC, proven).join('\n'), /proof "partly" is neither/);
  const empty = honest.replace('n/a: client-side statement', 'n/a:');
  assert.match(checkSection(empty, '3.1.1', SPEC, proven).join('\n'), /proof "n\/a:" is neither/);
});

test('test tags are read from test names only, not from comments or other strings', () => {
  const src = [
    '// [3.1.1 MQTT-1.0.0-2] in a comment',
    "const s = '[3.1.1 MQTT-1.0.0-2]';",
    call('[5.0 MQTT-3.1.0-2] a template name', 'test', '`'),
  ].join('\n');
  assert.deepEqual(
    testTags(src).map((t) => `${t.version} ${t.id}`),
    ['5.0 MQTT-3.1.0-2'],
  );
});
