import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_ACL_RULES } from '../core/topic-acl.js';
import {
  aclRulesProblems,
  dottedAt,
  mqttUsernameProblem,
  normalRules,
  pointerAt,
} from './mqtt-user-model.js';

test('user names: letters, digits, . _ - up to 64, starting with a letter or digit', () => {
  for (const ok of ['node-red', 'grafana.1', 'PLC_7', '7up', 'a'.repeat(64)]) {
    assert.equal(mqttUsernameProblem(ok), undefined, ok);
  }
});

test('hostile user names are refused with the reason, naming the character', () => {
  const cases: [string, RegExp][] = [
    ['', /must not be empty/],
    ['a'.repeat(65), /must not exceed 64 characters/],
    ['+', /"\+" \(an MQTT wildcard\)/],
    ['#', /"#" \(an MQTT wildcard\)/],
    ['plant+', /"\+"/],
    ['a/b', /"\/" \(it separates topic levels\)/],
    ['$SYS', /must not start with "\$"/],
    ['nul\u0000x', /U\+0000/],
    ['x@y', /"@" \(it separates the user name from the tenant/],
    ['apikey', /reserved/],
    ['APIKEY', /reserved/],
    ['a b', /must not contain " ": use letters, digits/],
    ['ümlaut', /must not contain "ü"/],
    ['-dash', /must start with a letter or a digit/],
    ['.hidden', /must start with a letter or a digit/],
  ];
  for (const [name, why] of cases) assert.match(mqttUsernameProblem(name) ?? 'accepted', why, name);
});

test('rules: each exactly {permission, action, topic}; every problem named by its path', () => {
  assert.deepEqual(
    aclRulesProblems([
      { permission: 'allow', action: 'both', topic: 'plant/%u/#' },
      { permission: 'deny', action: 'subscribe', topic: 'plant/secret/#' },
    ]),
    [],
  );
  assert.deepEqual(aclRulesProblems([]), []);
  const problems = aclRulesProblems([
    { permission: 'allow', action: 'both', topic: 'ok/#' },
    { permission: 'permit', action: 'read', topic: 'x', qos: 1 },
    { permission: 'allow', action: 'publish', topic: 'plant/a%u/#' },
    { permission: 'allow', action: 'publish', topic: 'a/#/b' },
    { permission: 'allow', action: 'publish', topic: 7 },
    'allow everything',
    { permission: 'allow', action: 'subscribe', topic: '$share/g/x' },
    { permission: 'allow', action: 'subscribe', topic: '' },
  ]);
  assert.deepEqual(
    problems.map((p) => `${dottedAt(p.at)}: ${p.message}`),
    [
      'rules[1].qos: is not a known field (permission, action, topic)',
      'rules[1].permission: must be one of: "allow", "deny"',
      'rules[1].action: must be one of: "publish", "subscribe", "both"',
      'rules[2].topic: placeholder must fill a whole level, got "a%u"',
      "rules[3].topic: is not a valid topic filter: '#' must be the whole last level",
      'rules[4].topic: must be a string',
      'rules[5]: must be an object {permission, action, topic}',
      'rules[6].topic: must not be a shared subscription ($share/...): rules apply to the topic',
      'rules[7].topic: is not a valid topic filter: must not be empty',
    ],
  );
  assert.equal(pointerAt(problems[4]?.at ?? []), '/rules/3/topic');
});

test('at most MAX_ACL_RULES rules; a list is required', () => {
  const rule = { permission: 'allow', action: 'both', topic: 'a/#' };
  assert.deepEqual(aclRulesProblems(Array(MAX_ACL_RULES).fill(rule)), []);
  assert.deepEqual(
    aclRulesProblems(Array(MAX_ACL_RULES + 1).fill(rule)).map((p) => [dottedAt(p.at), p.message]),
    [['rules', `must not hold more than ${MAX_ACL_RULES} rules, got ${MAX_ACL_RULES + 1}`]],
  );
  assert.deepEqual(
    aclRulesProblems({ permission: 'allow' }).map((p) => p.message),
    ['must be a list of rules'],
  );
});

test('normalRules keeps the three fields in a fixed order', () => {
  const input = [{ topic: 't/#', action: 'both', permission: 'allow' }] as const;
  assert.equal(JSON.stringify(normalRules(input)), '[{"permission":"allow","action":"both","topic":"t/#"}]');
});
