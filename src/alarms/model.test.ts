import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RuleTransition } from '../core/bus.js';
import { alarmMessage, dedupKey, emptyCounts, isSeverity } from './model.js';

const base: RuleTransition = {
  tenant: 'default',
  device: 'press-7',
  rule: 'overheat',
  version: 3,
  firing: true,
  ts: Date.UTC(2025, 0, 2, 3, 4, 5),
  key: 'temp',
  value: 91.5,
  alarm: { type: 'high-temperature', severity: 'major', autoClear: true },
};

test('the dedup key names rule, device and alarm type', () => {
  assert.equal(dedupKey('overheat', 'press-7', 'high-temperature'), 'overheat/press-7/high-temperature');
  assert.notEqual(dedupKey('overheat', 'press-7', 'a'), dedupKey('overheat', 'press-8', 'a'));
});

test('without a template the message is "<type> on <device>", with the point when known', () => {
  assert.equal(alarmMessage(base), 'high-temperature on press-7 (temp = 91.5)');
  const { key: _k, value: _v, ...noPoint } = base;
  assert.equal(alarmMessage(noPoint), 'high-temperature on press-7');
  assert.equal(alarmMessage({ ...base, value: false }), 'high-temperature on press-7 (temp = false)');
});

test("the rule's template is rendered with every variable", () => {
  const alarm = {
    type: 'high-temperature',
    severity: 'critical',
    autoClear: false,
    message:
      '{{alarm}}/{{severity}}: {{device}} {{key}}={{value}} at {{time}} ({{ts}}) by {{rule}} in {{tenant}}',
  };
  assert.equal(
    alarmMessage({ ...base, alarm }),
    `high-temperature/critical: press-7 temp=91.5 at 2025-01-02T03:04:05.000Z (${base.ts}) by overheat in default`,
  );
  const { key: _k, value: _v, ...noPoint } = base;
  assert.equal(
    alarmMessage({ ...noPoint, alarm: { ...alarm, message: '{{device}}: [{{value}}]' } }),
    'press-7: []',
  );
});

test('severities are the rule severities; counts start at zero for each', () => {
  assert.equal(isSeverity('critical'), true);
  assert.equal(isSeverity('fatal'), false);
  assert.deepEqual(emptyCounts(), {
    bySeverity: { critical: 0, major: 0, minor: 0, warning: 0, info: 0 },
    byStatus: { active: 0, acknowledged: 0, cleared: 0 },
  });
});
