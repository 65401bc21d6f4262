import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRule } from './spec.js';

/** The factory example: overheating or unusual vibration → alarm, a message on the plant's MQTT, e-mail, the maintenance webhook, and a shutdown. */
const factory = {
  name: 'press-overheat',
  description: 'Hot or shaking press: call maintenance; stop it if it stays hot',
  target: { profile: 'press' },
  condition: {
    type: 'any',
    conditions: [
      { type: 'threshold', key: 'temperature', op: '>', value: 90, for: '30s' },
      { type: 'anomaly', key: 'vibration', threshold: 4 },
    ],
  },
  alarm: { type: 'overheat', severity: 'critical', message: '{{device}}: {{key}} = {{value}}' },
  actions: [
    { type: 'publish', topic: 'alerts/{{device}}', payload: { rule: '{{rule}}', at: '{{time}}' } },
    {
      type: 'email',
      to: ['maintenance@plant.example'],
      subject: 'Press {{device}} needs a look',
      text: '{{rule}} fired at {{time}}',
    },
    {
      type: 'webhook',
      url: 'http://cmms.plant.local/api/work-orders',
      secret: 'a-shared-secret-of-some-length',
      body: { asset: '{{device}}', reading: '{{value}}', priority: '{{severity}}' },
    },
    { type: 'command', name: 'shutdown', params: { reason: '{{rule}}' }, timeout: '30s' },
  ],
  throttle: '10m',
};

test('the factory rule is accepted, with defaults filled in', () => {
  const { rule, condition, problems } = parseRule(factory);
  assert.deepEqual(problems, []);
  assert.ok(rule && condition);
  assert.equal(rule.enabled, true);
  assert.equal(rule.throttleMs, 600_000);
  assert.deepEqual(rule.alarm, {
    type: 'overheat',
    severity: 'critical',
    autoClear: true,
    message: '{{device}}: {{key}} = {{value}}',
  });
  assert.deepEqual(condition.needs.keys, ['temperature', 'vibration']);
});

test('every mistake is reported with its path; nothing is half-accepted', () => {
  const broken = {
    ...factory,
    name: 'has space',
    colour: 'red',
    target: { profile: 'press', site: 'x' },
    condition: { type: 'threshold', key: 'temperature', op: '>', value: 90, for: '2d' },
    alarm: { type: 'overheat', severity: 'apocalyptic' },
    actions: [
      { type: 'email', to: ['not-an-address'] },
      { type: 'webhook', url: 'ftp://x', body: { x: '{{process}}' } },
      { type: 'command', name: 'shutdown', device: 'bad id!' },
      { type: 'publish', topic: 'alerts/#', payload: 'x', qos: 2 },
      { type: 'sms', to: '+33' },
    ],
    throttle: 'often',
  };
  const { rule, problems } = parseRule(broken);
  assert.equal(rule, undefined);
  assert.deepEqual(
    problems.map((p) => p.path),
    [
      '/colour',
      '/name',
      '/target/site',
      '/condition/for',
      '/alarm/severity',
      '/actions/0/to',
      '/actions/1/url',
      '/actions/1/body/x',
      '/actions/2/device',
      '/actions/3/topic',
      '/actions/3/qos',
      '/actions/4/type',
      '/throttle',
    ],
  );
  assert.match(
    problems.find((p) => p.path === '/actions/1/body/x')?.message ?? '',
    /\{\{process\}\} is not a template variable/,
  );
});

test('a rule that would do nothing, and non-objects, are refused', () => {
  const { problems } = parseRule({
    name: 'idle',
    target: { devices: ['d1'] },
    condition: { type: 'status', is: 'offline' },
  });
  assert.deepEqual(problems, [
    { path: '', message: 'a rule needs an alarm, actions or both: otherwise it does nothing' },
  ]);
  assert.deepEqual(parseRule([1]).problems, [{ path: '', message: 'a rule is a JSON object' }]);
  assert.deepEqual(
    parseRule({ ...factory, target: {} }).problems.map((p) => p.path),
    ['/target'],
  );
});
