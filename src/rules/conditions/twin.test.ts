import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTwin } from './twin.js';
import type { Signal } from './types.js';

const twin = (
  version: number,
  desired: Record<string, unknown>,
  reported: Record<string, unknown>,
  delta: Record<string, unknown> = {},
): Signal => ({ kind: 'twin', ts: 0, version, desired, reported, delta });

test('compares a reported (or desired) value at a path; missing does not hold', () => {
  const c = createTwin({ side: 'reported', path: ['firmware', 'version'], op: '!=', value: '2.4.1' });
  const s = c.initial();
  assert.equal(c.step(s, twin(1, {}, {})), false, 'no firmware reported yet');
  assert.equal(c.step(s, twin(2, {}, { firmware: { version: '2.3.0' } })), true);
  assert.equal(c.step(s, twin(3, {}, { firmware: { version: '2.4.1' } })), false);
  assert.equal(c.step(s, twin(3, {}, { firmware: { version: '1.0' } })), undefined, 'same version again');
  assert.equal(c.step(s, { kind: 'point', key: 'firmware', ts: 0, value: 1 }), undefined);
  const d = createTwin({ side: 'desired', path: ['mode'], op: '==', value: 'eco' });
  assert.equal(d.step(d.initial(), twin(1, { mode: 'eco' }, { mode: 'comfort' })), true);
});

test('pending: desired and reported differ, anywhere or at a path', () => {
  const any = createTwin({ pending: true });
  const s = any.initial();
  assert.equal(any.step(s, twin(1, { mode: 'eco' }, {}, { mode: 'eco' })), true);
  assert.equal(any.step(s, twin(2, { mode: 'eco' }, { mode: 'eco' }, {})), false);
  const at = createTwin({ pending: true, path: ['setpoint'] });
  const t = at.initial();
  assert.equal(at.step(t, twin(1, { mode: 'eco' }, {}, { mode: 'eco' })), false);
  assert.equal(at.step(t, twin(2, { setpoint: 20 }, {}, { setpoint: 20 })), true);
});
