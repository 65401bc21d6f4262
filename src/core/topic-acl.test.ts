import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AclRule, aclTopicProblem, TopicAcl } from './topic-acl.js';

const rule = (permission: AclRule['permission'], action: AclRule['action'], topic: string): AclRule => ({
  permission,
  action,
  topic,
});
const alice = { username: 'alice', clientId: 'alice-1' };

test('first matching rule wins; no match is a refusal', () => {
  const acl = new TopicAcl([
    rule('deny', 'both', 'plant/secret/#'),
    rule('allow', 'subscribe', 'plant/#'),
    rule('allow', 'publish', 'plant/+/cmd'),
  ]);
  assert.equal(acl.mayReceive(alice, 'plant/line1/temp'), true);
  assert.equal(acl.mayReceive(alice, 'plant/secret/key'), false);
  assert.equal(acl.mayPublish(alice, 'plant/line1/cmd'), true);
  assert.equal(acl.mayPublish(alice, 'plant/line1/temp'), false, 'subscribe rules do not grant publishing');
  assert.equal(acl.mayPublish(alice, 'plant/secret/cmd'), false, 'the deny comes first');
  assert.equal(acl.mayReceive(alice, 'office/temp'), false, 'default deny');
  assert.equal(new TopicAcl([]).mayReceive(alice, 'a'), false);
});

test('subscribing needs a rule that covers the whole filter; deny rules inside it apply per message', () => {
  const acl = new TopicAcl([rule('deny', 'both', 'devices/#'), rule('allow', 'both', '#')]);
  assert.equal(acl.maySubscribe(alice, '#'), true);
  assert.equal(acl.maySubscribe(alice, 'devices/+/telemetry'), false, 'covered by the deny');
  assert.equal(acl.mayReceive(alice, 'devices/d1/telemetry'), false);
  assert.equal(acl.mayReceive(alice, 'plant/x'), true);
  const narrow = new TopicAcl([rule('allow', 'subscribe', 'plant/line1/#')]);
  assert.equal(narrow.maySubscribe(alice, 'plant/line1/temp'), true);
  assert.equal(narrow.maySubscribe(alice, 'plant/line1'), true, "'#' includes its parent level");
  assert.equal(narrow.maySubscribe(alice, 'plant/+/temp'), false, 'wider than the rule');
  assert.equal(narrow.maySubscribe(alice, 'plant/#'), false);
  assert.equal(narrow.maySubscribe(alice, '#'), false);
});

test('$ topics: wildcards in the first level never reach them [MQTT-4.7.2-1]', () => {
  const all = new TopicAcl([rule('allow', 'both', '#'), rule('allow', 'both', '+/#')]);
  assert.equal(all.maySubscribe(alice, '$SYS/#'), false);
  assert.equal(all.mayReceive(alice, '$SYS/broker/uptime'), false);
  const sys = new TopicAcl([rule('allow', 'subscribe', '$SYS/#')]);
  assert.equal(sys.maySubscribe(alice, '$SYS/broker/clients/+'), true);
  assert.equal(sys.mayReceive(alice, '$SYS/broker/uptime'), true);
});

test('placeholders are literal levels: %u and %c', () => {
  const acl = new TopicAcl([
    rule('allow', 'both', 'plant/%u/#'),
    rule('allow', 'publish', 'clients/%c/status'),
  ]);
  assert.equal(acl.mayPublish(alice, 'plant/alice/temp'), true);
  assert.equal(acl.mayPublish(alice, 'plant/bob/temp'), false);
  assert.equal(acl.maySubscribe(alice, 'plant/alice/#'), true);
  assert.equal(acl.maySubscribe(alice, 'plant/+/#'), false, 'a wildcard is not the literal');
  assert.equal(acl.mayPublish(alice, 'clients/alice-1/status'), true);
  assert.equal(acl.mayPublish(alice, 'clients/alice-2/status'), false);
});

test('hostile user names and client ids never widen an allow rule', () => {
  const acl = new TopicAcl([rule('allow', 'both', 'plant/%u/#'), rule('allow', 'both', 'clients/%c/#')]);
  for (const bad of ['+', '#', 'a/b', '$SYS', '', '\u0000', 'x+', 'a#']) {
    const who = { username: bad, clientId: bad };
    assert.equal(acl.maySubscribe(who, 'plant/+/#'), false, `user ${JSON.stringify(bad)}`);
    assert.equal(acl.maySubscribe(who, 'plant/#'), false, `user ${JSON.stringify(bad)}`);
    assert.equal(acl.mayReceive(who, 'plant/other/temp'), false, `user ${JSON.stringify(bad)}`);
    assert.equal(acl.maySubscribe(who, 'clients/#'), false, `client ${JSON.stringify(bad)}`);
    assert.equal(acl.mayReceive(who, 'clients/other/x'), false, `client ${JSON.stringify(bad)}`);
    assert.equal(acl.mayPublish(who, `plant/${bad}/x`), false, `user ${JSON.stringify(bad)}`);
  }
  const anonymous = { username: undefined, clientId: 'c1' };
  assert.equal(acl.mayPublish(anonymous, 'plant/undefined/x'), false, 'no user name, no %u');
  assert.equal(acl.mayPublish(anonymous, 'clients/c1/x'), true);
});

test('a deny rule with a hostile value denies every value (never fewer)', () => {
  const acl = new TopicAcl([rule('deny', 'both', 'plant/%c/secret'), rule('allow', 'both', 'plant/#')]);
  assert.equal(acl.mayReceive({ username: 'u', clientId: 'bob' }, 'plant/bob/secret'), false);
  assert.equal(acl.mayReceive({ username: 'u', clientId: 'bob' }, 'plant/eve/secret'), true);
  assert.equal(acl.mayReceive({ username: 'u', clientId: '+' }, 'plant/eve/secret'), false);
  assert.equal(acl.maySubscribe({ username: 'u', clientId: '#' }, 'plant/+/secret'), false);
});

test('rule topics: valid filters, placeholders as whole levels, no shared subscriptions', () => {
  assert.equal(aclTopicProblem('plant/%u/#'), undefined);
  assert.equal(aclTopicProblem('%c'), undefined);
  assert.equal(aclTopicProblem('$SYS/#'), undefined);
  assert.match(aclTopicProblem('plant/user-%u/#') ?? '', /whole level/);
  assert.match(
    aclTopicProblem('plant/#/x') ?? '',
    /not a valid topic filter: '#' must be the whole last level/,
  );
  assert.match(aclTopicProblem('a+/b') ?? '', /'\+' must occupy a whole level/);
  assert.match(aclTopicProblem('') ?? '', /must not be empty/);
  assert.match(aclTopicProblem('$share/g/a') ?? '', /shared subscription/);
  assert.match(aclTopicProblem('x'.repeat(600)) ?? '', /512/);
});
