import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sameFacts, targets } from './targeting.js';

const press = { id: 'press-7', profile: 'press', groups: ['line-1'], labels: { site: 'lyon', floor: '2' } };

test('every given part of a target must match', () => {
  assert.ok(targets({ devices: ['press-7', 'x'] }, press));
  assert.ok(!targets({ devices: ['x'] }, press));
  assert.ok(targets({ groups: ['line-2', 'line-1'] }, press));
  assert.ok(!targets({ groups: ['line-2'] }, press));
  assert.ok(targets({ profile: 'press', labels: { site: 'lyon' } }, press));
  assert.ok(!targets({ profile: 'press', labels: { site: 'lyon', floor: '3' } }, press));
  assert.ok(!targets({ profile: 'pump' }, press));
});

test('sameFacts: profile, groups (in order) and labels decide; a changed label is a change', () => {
  assert.ok(sameFacts(press, { ...press, labels: { floor: '2', site: 'lyon' } }));
  assert.ok(!sameFacts(press, { ...press, profile: 'pump' }));
  assert.ok(!sameFacts(press, { ...press, groups: ['line-1', 'line-2'] }));
  assert.ok(!sameFacts(press, { ...press, labels: { site: 'lyon' } }));
  assert.ok(!sameFacts(press, { ...press, labels: { site: 'lyon', floor: '3' } }));
});
