import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyPatch,
  delta,
  EMPTY_SIDE,
  equal,
  MAX_DEPTH,
  mergePatch,
  patchProblem,
  type State,
} from './model.js';

test('merge patch follows RFC 7386 (its appendix A examples)', () => {
  const cases: [State, State, State][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [{ e: null } as State, { a: 1 }, { e: null, a: 1 }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, want] of cases) {
    assert.deepEqual(mergePatch(target, patch).state, want, JSON.stringify({ target, patch }));
  }
});

test('merge patch reports changed and removed leaf paths; equal values are no change', () => {
  const r = mergePatch(
    { a: { x: 1, y: 2 }, b: 1, c: [1] },
    { a: { x: 1, y: 3 }, b: null, c: [1], d: { e: 5 } },
  );
  assert.deepEqual(r.changed.sort(), ['a.y', 'd.e']);
  assert.deepEqual(r.removed, ['b']);
  const replaced = mergePatch({ a: { x: 1, y: 2 } }, { a: 7 });
  assert.deepEqual([replaced.changed, replaced.removed.sort()], [['a'], ['a.x', 'a.y']]);
});

test('applyPatch bumps the version and leaf times only when something changed', () => {
  const one = applyPatch(EMPTY_SIDE, { temp: { target: 21 }, mode: 'eco' }, 1000);
  assert.equal(one.changed, true);
  assert.equal(one.side.version, 1);
  assert.deepEqual(one.side.updated, { 'temp.target': 1000, mode: 1000 });
  const same = applyPatch(one.side, { mode: 'eco' }, 2000);
  assert.equal(same.changed, false);
  assert.equal(same.side, one.side);
  const two = applyPatch(one.side, { temp: null, fan: true }, 3000);
  assert.deepEqual(two.side.state, { mode: 'eco', fan: true });
  assert.deepEqual(two.side.updated, { mode: 1000, fan: 3000 });
  assert.equal(two.side.version, 2);
});

test('delta: desired leaves the device has not reported, nested', () => {
  const desired = { temp: { target: 21, hyst: 0.5 }, mode: 'eco', list: [1, 2], fw: '1.2' };
  const reported = { temp: { target: 21, hyst: 1 }, mode: 'eco', list: [1, 2], fw: '1.1', extra: 1 };
  assert.deepEqual(delta(desired, reported), { temp: { hyst: 0.5 }, fw: '1.2' });
  assert.deepEqual(delta({ a: { b: 1 } }, { a: 5 }), { a: { b: 1 } });
  assert.deepEqual(delta({}, reported), {});
});

test('patchProblem names the first bad place', () => {
  assert.equal(patchProblem({ a: { b: [1, { c: 'x' }] } }), undefined);
  assert.match(patchProblem([1]) ?? '', /JSON object/);
  assert.match(patchProblem('x') ?? '', /JSON object/);
  assert.match(patchProblem(null) ?? '', /JSON object/);
  assert.match(patchProblem({ 'a.b': 1 }) ?? '', /^a\.b: keys/);
  assert.match(patchProblem({ a: { $x: 1 } }) ?? '', /^a\.\$x: keys/);
  assert.match(patchProblem({ '': 1 }) ?? '', /keys are 1-128/);
  assert.match(patchProblem({ a: Number.NaN }) ?? '', /^a: numbers must be finite/);
  assert.match(patchProblem({ a: () => 1 }) ?? '', /not a JSON value/);
  let deep: State = { leaf: 1 };
  for (let i = 0; i < MAX_DEPTH + 1; i++) deep = { n: deep };
  assert.match(patchProblem(deep) ?? '', /nested deeper than 16/);
});

test('equal compares JSON values structurally', () => {
  assert.ok(equal({ a: [1, { b: null }] }, { a: [1, { b: null }] }));
  assert.ok(!equal({ a: 1 }, { a: 1, b: 2 }));
  assert.ok(!equal([1], { 0: 1 }));
  assert.ok(!equal(null, {}));
});
