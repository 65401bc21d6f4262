import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCondition, type Signal } from './conditions/index.js';
import { buildIndex, type DeviceRules, deviceRules, rulesReading } from './rule-index.js';
import type { RuleTarget } from './spec.js';
import { type DeviceFacts, targets } from './targeting.js';

function rule(name: string, target: RuleTarget, condition: Record<string, unknown>) {
  const c = parseCondition(condition).condition;
  assert.ok(c, name);
  return { name, condition: c, spec: { target } };
}

const rules = [
  rule(
    'by-device',
    { devices: ['press-7', 'press-9'] },
    { type: 'threshold', key: 'temp', op: '>', value: 90 },
  ),
  rule('by-group', { groups: ['line-2', 'line-1'] }, { type: 'threshold', key: 'vib', op: '>', value: 4 }),
  rule(
    'by-label',
    { labels: { site: 'lyon', floor: '2' } },
    { type: 'threshold', key: 'temp', op: '<', value: 0 },
  ),
  rule(
    'by-label-wrong-floor',
    { labels: { site: 'lyon', floor: '3' } },
    { type: 'threshold', key: 'temp', op: '>', value: 1 },
  ),
  rule('by-profile', { profile: 'press' }, { type: 'inactivity', after: '5m' }),
  rule('everyone', {}, { type: 'threshold', key: 'rpm', op: '>', value: 3000 }),
  rule('other-profile', { profile: 'pump' }, { type: 'threshold', key: 'temp', op: '>', value: 50 }),
  rule(
    'profile-and-group',
    { profile: 'press', groups: ['line-9'] },
    { type: 'threshold', key: 'temp', op: '>', value: 2 },
  ),
];
const tenant = new Map([['default', new Map(rules.map((r) => [r.name, r]))]]);
const press = { id: 'press-7', profile: 'press', groups: ['line-1'], labels: { site: 'lyon', floor: '2' } };
const point = (key: string): Signal => ({ kind: 'point', key, ts: 1, value: 1 });

test('a device gets exactly the rules whose target covers it, in rule order, whatever bucket they sit in', () => {
  const t = buildIndex(tenant).get('default');
  assert.ok(t);
  const mine = deviceRules(t, press);
  const names = (list: readonly { name: string }[]) => list.map((r) => r.name);
  assert.deepEqual(names(rulesReading(mine, point('temp'))), ['by-device', 'by-label', 'by-profile']);
  assert.deepEqual(names(rulesReading(mine, point('vib'))), ['by-group', 'by-profile']);
  assert.deepEqual(names(rulesReading(mine, point('rpm'))), ['everyone', 'by-profile']);
  // A key no rule reads meets the `*` rules only (inactivity counts any data).
  assert.deepEqual(names(rulesReading(mine, point('humidity'))), ['by-profile']);
  assert.deepEqual(names(rulesReading(mine, { kind: 'event', type: 'door', ts: 1, data: {} })), [
    'by-profile',
  ]);
  assert.deepEqual(names(rulesReading(mine, { kind: 'status', status: 'online', ts: 1 })), []);
});

test('the index agrees with a plain scan of every rule for every device shape', () => {
  const t = buildIndex(tenant).get('default');
  assert.ok(t);
  const shapes: DeviceFacts[] = [
    press,
    { id: 'press-9', profile: 'pump', groups: [], labels: {} },
    { id: 'x', profile: 'press', groups: ['line-9', 'line-2'], labels: { site: 'lyon', floor: '3' } },
    { id: 'y', profile: 'fan', groups: [], labels: { site: 'paris' } },
  ];
  for (const d of shapes) {
    const mine: DeviceRules<(typeof rules)[number]> = deviceRules(t, d);
    const fromIndex: Set<string> = new Set(
      [...mine.byKey.values()]
        .flat()
        .concat(mine.any)
        .map((r) => r.name),
    );
    const scanned = new Set(rules.filter((r) => targets(r.spec.target, d)).map((r) => r.name));
    assert.deepEqual(fromIndex, scanned, d.id);
  }
});
