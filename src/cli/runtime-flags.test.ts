import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cpusFromCgroupMax,
  gcModeProblem,
  missingFlags,
  SINGLE_THREADED_GC,
  YOUNG_GENERATION,
} from './runtime-flags.js';

test('cgroup v2 cpu.max: a quota gives CPUs, "max" or garbage gives none', () => {
  assert.equal(cpusFromCgroupMax('100000 100000\n'), 1);
  assert.equal(cpusFromCgroupMax('50000 100000'), 0.5);
  assert.equal(cpusFromCgroupMax('200000 100000'), 2);
  assert.equal(cpusFromCgroupMax('max 100000\n'), undefined);
  assert.equal(cpusFromCgroupMax(''), undefined);
  assert.equal(cpusFromCgroupMax('abc def'), undefined);
  assert.equal(cpusFromCgroupMax('0 100000'), undefined);
});

test('single-threaded GC on one usable CPU; a young-generation cap on Node 22+', () => {
  const base = { execArgv: [], env: {} };
  assert.deepEqual(missingFlags({ ...base, cpus: 1, nodeMajor: 20 }), [SINGLE_THREADED_GC]);
  assert.deepEqual(missingFlags({ ...base, cpus: 0.5, nodeMajor: 24 }), [
    SINGLE_THREADED_GC,
    YOUNG_GENERATION,
  ]);
  assert.deepEqual(missingFlags({ ...base, cpus: 2, nodeMajor: 20 }), []);
  assert.deepEqual(missingFlags({ ...base, cpus: 8, nodeMajor: 24 }), [YOUNG_GENERATION]);
});

test('flags already given, by argv or NODE_OPTIONS, are not added again; a re-executed process adds none', () => {
  const given = { cpus: 1, nodeMajor: 24 };
  assert.deepEqual(
    missingFlags({ ...given, execArgv: [SINGLE_THREADED_GC, '--max-semi-space-size=64'], env: {} }),
    [],
  );
  assert.deepEqual(
    missingFlags({ ...given, execArgv: [], env: { NODE_OPTIONS: '--max-semi-space-size=8' } }),
    [SINGLE_THREADED_GC],
  );
  assert.deepEqual(missingFlags({ ...given, execArgv: [], env: { PLEXUS_NODE_FLAGS_SET: '1' } }), []);
});

test('PLEXUS_GC overrides the single-threaded decision and accepts auto, single and parallel only', () => {
  assert.deepEqual(
    missingFlags({ cpus: 1, nodeMajor: 20, execArgv: [], env: { PLEXUS_GC: 'parallel' } }),
    [],
  );
  assert.deepEqual(missingFlags({ cpus: 8, nodeMajor: 20, execArgv: [], env: { PLEXUS_GC: 'single' } }), [
    SINGLE_THREADED_GC,
  ]);
  assert.equal(gcModeProblem({}), undefined);
  for (const m of ['auto', 'single', 'parallel']) assert.equal(gcModeProblem({ PLEXUS_GC: m }), undefined);
  assert.match(gcModeProblem({ PLEXUS_GC: 'fast' }) ?? '', /PLEXUS_GC must be auto, single or parallel/);
});
