/**
 * Rule management on a real SQLite database and a real memory bus:
 * versions, what is announced to the engine, all-or-nothing apply.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { createMemoryBus } from '../../src/core/bus-memory.js';
import { PlexusError } from '../../src/core/errors.js';
import { createRuleService, type RuleService } from '../../src/rules/index.js';
import { migrateSqlite, openSqlite, type SqliteDb } from '../../src/store/sqlite/database.js';
import { createSqliteRuleStore } from '../../src/store/sqlite/rules.js';

const overheat = (limit = 80) => ({
  name: 'overheat',
  target: { profile: 'press' },
  condition: { type: 'threshold', key: 'temp', op: '>', value: limit },
  alarm: { type: 'overheat', severity: 'major' },
});

let dir: string;
let db: SqliteDb;
let rules: RuleService;
let t = Date.UTC(2024, 0, 1);
const changes: { tenant: string; name: string }[] = [];
const bus = createMemoryBus(pino({ level: 'silent' }));

/** The RULE_* error a promise is refused with. */
async function refused(p: Promise<unknown>, code: string): Promise<PlexusError> {
  const err = await p.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof PlexusError, String(err));
  assert.equal(err.code, code, err.message);
  return err;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'plexus-rules-'));
  db = openSqlite(dir);
  migrateSqlite(db);
  const store = createSqliteRuleStore(db);
  const clock = { now: () => (t += 1000) };
  rules = createRuleService({ store, bus, clock, log: pino({ level: 'silent' }) });
  bus.subscribe('test', 'rule-changed', (e) => changes.push(e));
});

after(() => {
  rules.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a new rule is version 1; the same document again adds no version; a change does', async () => {
  changes.length = 0;
  const first = await rules.save('default', overheat(), 'user:alice');
  assert.equal(first.change, 'created');
  assert.deepEqual(
    { version: first.rule.version, enabled: first.rule.enabled, by: first.rule.updatedBy },
    { version: 1, enabled: true, by: 'user:alice' },
  );
  assert.equal(first.rule.spec.throttleMs, 60_000, 'defaults are filled in');
  // Key order does not matter: a YAML file and its JSON twin are the same rule.
  const { alarm, condition, target, name } = overheat();
  const again = await rules.save('default', { alarm, condition, target, name }, 'user:bob');
  assert.equal(again.change, 'unchanged');
  assert.equal(again.rule.version, 1);
  assert.equal(again.rule.updatedBy, 'user:alice');
  const changed = await rules.save('default', overheat(90), 'user:bob');
  assert.deepEqual([changed.change, changed.rule.version], ['updated', 2]);
  assert.equal(changed.rule.createdAt, first.rule.createdAt);
  assert.ok(changed.rule.updatedAt > first.rule.updatedAt);
  const versions = await rules.versions('default', 'overheat');
  assert.deepEqual(
    versions.map((v) => [v.version, (v.spec.condition as { value: number }).value, v.createdBy]),
    [
      [2, 90, 'user:bob'],
      [1, 80, 'user:alice'],
    ],
  );
  assert.deepEqual(changes, [
    { tenant: 'default', name: 'overheat' },
    { tenant: 'default', name: 'overheat' },
  ]);
});

test('enable and disable are new versions, announced; doing it twice changes nothing', async () => {
  changes.length = 0;
  const off = await rules.disable('default', 'overheat', 'user:carol');
  assert.deepEqual(
    [off.change, off.rule.version, off.rule.enabled, off.rule.spec.enabled],
    ['updated', 3, false, false],
  );
  assert.equal((await rules.disable('default', 'overheat', 'user:carol')).change, 'unchanged');
  assert.deepEqual(
    (await rules.list('default', { limit: 10, enabled: false })).items.map((r) => r.name),
    ['overheat'],
  );
  assert.deepEqual((await rules.list('default', { limit: 10, enabled: true })).items, []);
  const on = await rules.enable('default', 'overheat', 'user:carol');
  assert.deepEqual([on.rule.version, on.rule.enabled], [4, true]);
  assert.equal(changes.length, 2);
  await refused(rules.enable('default', 'nope', 'user:carol'), 'RULE_NOT_FOUND');
  await refused(rules.enable('other', 'overheat', 'user:carol'), 'RULE_NOT_FOUND');
});

test('every problem of a document comes back at once, with paths into the body', async () => {
  const err = await refused(
    rules.save(
      'default',
      { ...overheat(), condition: { type: 'threshold', key: 'temp', op: '=>', value: 1 }, extra: 1 },
      'u',
    ),
    'RULE_INVALID',
  );
  const paths = (err.errors ?? []).map((e) => e.path);
  assert.ok(paths.includes('/body/extra'), paths.join());
  assert.ok(paths.includes('/body/condition/op'), paths.join());
  await refused(rules.save('default', [1, 2], 'u'), 'RULE_INVALID');
});

test('PUT semantics: the name in the URL must match the document; a document without one takes it', async () => {
  const err = await refused(rules.save('default', overheat(), 'u', 'cooling'), 'RULE_NAME_MISMATCH');
  assert.deepEqual(
    err.errors?.map((e) => e.path),
    ['/body/name'],
  );
  const { name: _n, ...unnamed } = overheat();
  const saved = await rules.save('default', unnamed, 'u', 'cooling');
  assert.deepEqual([saved.rule.name, saved.change], ['cooling', 'created']);
});

test('apply is all or nothing: one bad rule in three saves none', async () => {
  changes.length = 0;
  const good = (name: string) => ({ ...overheat(), name });
  const bad = {
    ...good('c'),
    condition: { type: 'threshold', key: 'temp', op: 'hot' },
    alarm: { type: 'x', severity: 'huge' },
  };
  const err = await refused(rules.apply('t2', [good('a'), bad, good('b')], 'u'), 'RULE_INVALID');
  const paths = (err.errors ?? []).map((e) => e.path);
  assert.ok(paths.length >= 2, paths.join());
  assert.ok(
    paths.every((p) => p.startsWith('/body/rules/1/')),
    paths.join(),
  );
  assert.ok(paths.includes('/body/rules/1/alarm/severity'), paths.join());
  assert.deepEqual((await rules.list('t2', { limit: 10 })).items, []);
  assert.equal(changes.length, 0, 'nothing announced');

  const dup = await refused(rules.apply('t2', [good('a'), good('a')], 'u'), 'RULE_INVALID');
  assert.deepEqual(
    dup.errors?.map((e) => e.path),
    ['/body/rules/1/name'],
  );

  const results = await rules.apply('t2', [good('a'), good('b')], 'u');
  assert.deepEqual(results, [
    { name: 'a', version: 1, change: 'created' },
    { name: 'b', version: 1, change: 'created' },
  ]);
  const twice = await rules.apply('t2', [good('a'), { ...good('b'), throttle: '5m' }], 'u');
  assert.deepEqual(twice, [
    { name: 'a', version: 1, change: 'unchanged' },
    { name: 'b', version: 2, change: 'updated' },
  ]);
  assert.deepEqual(
    changes.map((c) => c.name),
    ['a', 'b', 'b'],
  );
});

test('lists page by name; listAll gives the engine every tenant with versions', async () => {
  const first = await rules.list('t2', { limit: 1 });
  assert.deepEqual(
    first.items.map((r) => r.name),
    ['a'],
  );
  const second = await rules.list('t2', { limit: 1, after: first.nextAfter });
  assert.deepEqual(
    second.items.map((r) => r.name),
    ['b'],
  );
  assert.equal(second.nextAfter, undefined);
  const all = await rules.listAll();
  assert.deepEqual(
    all.map((r) => [r.tenant, r.name, r.version]),
    [
      ['default', 'cooling', 1],
      ['default', 'overheat', 4],
      ['t2', 'a', 1],
      ['t2', 'b', 2],
    ],
  );
});

test('the engine reads enabled rules only: listAll at start, current after rule-changed', async () => {
  await rules.disable('t2', 'a', 'u');
  assert.deepEqual(
    (await rules.listAll()).filter((r) => r.tenant === 't2').map((r) => r.name),
    ['b'],
  );
  assert.equal(await rules.current('t2', 'a'), undefined);
  assert.equal((await rules.current('t2', 'b'))?.version, 2);
  assert.equal(await rules.current('t2', 'nope'), undefined);
  await rules.enable('t2', 'a', 'u');
  assert.equal((await rules.current('t2', 'a'))?.version, 3);
});

test('delete removes the rule and its versions, announced; a deleted tenant loses its rules', async () => {
  changes.length = 0;
  await rules.delete('default', 'overheat');
  await refused(rules.get('default', 'overheat'), 'RULE_NOT_FOUND');
  await refused(rules.versions('default', 'overheat'), 'RULE_NOT_FOUND');
  await refused(rules.delete('default', 'overheat'), 'RULE_NOT_FOUND');
  assert.equal(
    (db.prepare("SELECT count(*) AS n FROM rule_versions WHERE name = 'overheat'").get() as { n: number }).n,
    0,
  );
  const again = await rules.save('default', overheat(), 'u');
  assert.deepEqual([again.change, again.rule.version], ['created', 1], 'a re-created rule starts over');

  bus.publish('registry', { kind: 'tenant-deleted', tenant: 't2' });
  for (let i = 0; i < 50 && changes.length < 4; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual((await rules.list('t2', { limit: 10 })).items, []);
  assert.deepEqual(
    changes.map((c) => `${c.tenant}/${c.name}`),
    ['default/overheat', 'default/overheat', 't2/a', 't2/b'],
  );
});
