import assert from 'node:assert/strict';
import { test } from 'node:test';
import { topicMatches } from '../../core/topic.js';
import { type Subscription, type SubscriptionOptions, TopicTree } from './topic-tree.js';

const opts = (qos: 0 | 1 | 2 = 0, extra: Partial<SubscriptionOptions> = {}): SubscriptionOptions => ({
  qos,
  noLocal: false,
  retainAsPublished: false,
  retainHandling: 0,
  ...extra,
});

/** Non-shared matches as sorted `subscriber:filter` strings. */
function matched(tree: TopicTree<string>, topic: string): string[] {
  const out: string[] = [];
  tree.match(topic, (s) => out.push(`${s.subscriber}:${s.filter}`));
  return out.sort();
}

/** Share-group matches as group → sorted `subscriber:filter`. */
function groupsOf(tree: TopicTree<string>, topic: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  tree.match(
    topic,
    () => {},
    (group, members) => {
      assert.equal(out[group], undefined, `group ${group} visited once`);
      out[group] = members.map((m) => `${m.subscriber}:${m.filter}`).sort();
    },
  );
  return out;
}

test('exact, + and # filters match like topicMatches', () => {
  const tree = new TopicTree<string>();
  const filters = ['a/b', 'a/+', 'a/#', '#', '+', '+/b', 'a/b/c', '+/+/+', 'a//b', '/#', 'a/'];
  for (const f of filters) tree.add(f, f, opts());
  const topics = ['a', 'a/b', 'a/c', 'a/b/c', 'a//b', '/a', 'a/', 'b', '/', 'x/b'];
  for (const topic of topics) {
    const expected = filters.filter((f) => topicMatches(f, topic)).map((f) => `${f}:${f}`);
    assert.deepEqual(matched(tree, topic), expected.sort(), topic);
  }
});

test("'#' matches the parent level and '+' matches an empty level", () => {
  const tree = new TopicTree<string>();
  tree.add('s1', 'sport/tennis/player1/#', opts());
  tree.add('s2', 'sport/+', opts());
  assert.deepEqual(matched(tree, 'sport/tennis/player1'), ['s1:sport/tennis/player1/#']);
  assert.deepEqual(matched(tree, 'sport/tennis/player1/score/wimbledon'), ['s1:sport/tennis/player1/#']);
  assert.deepEqual(matched(tree, 'sport/tennis/player2'), []);
  assert.deepEqual(matched(tree, 'sport/'), ['s2:sport/+']);
  assert.deepEqual(matched(tree, 'sport'), []);
});

test('$ topics: not matched by a leading wildcard, matched by $SYS/# [MQTT-4.7.2-1]', () => {
  const tree = new TopicTree<string>();
  tree.add('all', '#', opts());
  tree.add('plus', '+/x', opts());
  tree.add('sys', '$SYS/#', opts());
  tree.add('inner', 'a/+', opts());
  assert.deepEqual(matched(tree, '$SYS/x'), ['sys:$SYS/#']);
  assert.deepEqual(matched(tree, 'b/x'), ['all:#', 'plus:+/x']);
  assert.deepEqual(matched(tree, 'a/$x'), ['all:#', 'inner:a/+']);
});

test('overlapping filters visit the subscriber once per filter', () => {
  const tree = new TopicTree<string>();
  tree.add('c', 'a/+', opts(1));
  tree.add('c', 'a/#', opts(2));
  tree.add('c', 'a/b', opts(0));
  assert.deepEqual(matched(tree, 'a/b'), ['c:a/#', 'c:a/+', 'c:a/b']);
  assert.equal(tree.size, 3);
});

test('re-subscribing replaces: one entry with the new options [MQTT-3.8.4-3]', () => {
  const tree = new TopicTree<string>();
  assert.equal(tree.add('c', 'a/+', opts(0)), true);
  assert.equal(tree.add('c', 'a/+', opts(2, { noLocal: true, id: 7 })), false);
  assert.equal(tree.size, 1);
  const seen: Subscription<string>[] = [];
  tree.match('a/b', (s) => seen.push(s));
  assert.equal(seen.length, 1);
  assert.deepEqual(seen[0], {
    subscriber: 'c',
    filter: 'a/+',
    qos: 2,
    noLocal: true,
    retainAsPublished: false,
    retainHandling: 0,
    id: 7,
  });
  // the replacement drops the earlier subscription identifier
  tree.add('c', 'a/+', opts(1));
  assert.deepEqual(
    tree.subscriptionsOf('c').map((s) => [s.qos, s.id]),
    [[1, undefined]],
  );
});

test('shared: two members of one group are passed together, not to visit', () => {
  const tree = new TopicTree<string>();
  tree.add('m1', 'jobs/+', opts(), 'workers');
  tree.add('m2', 'jobs/+', opts(1), 'workers');
  assert.deepEqual(matched(tree, 'jobs/1'), []);
  assert.deepEqual(groupsOf(tree, 'jobs/1'), { workers: ['m1:jobs/+', 'm2:jobs/+'] });
  assert.deepEqual(groupsOf(tree, 'other'), {});
  assert.equal(tree.size, 2);
});

test('shared: two groups on one filter each get one call', () => {
  const tree = new TopicTree<string>();
  tree.add('m1', 'jobs/#', opts(), 'g1');
  tree.add('m2', 'jobs/#', opts(), 'g2');
  tree.add('m3', 'jobs/#', opts(), 'g2');
  assert.deepEqual(groupsOf(tree, 'jobs/x'), { g1: ['m1:jobs/#'], g2: ['m2:jobs/#', 'm3:jobs/#'] });
});

test('shared: a group collects members across different matching filters', () => {
  const tree = new TopicTree<string>();
  tree.add('m1', 'jobs/+', opts(), 'g');
  tree.add('m2', 'jobs/#', opts(), 'g');
  tree.add('m3', '#', opts(), 'g');
  assert.deepEqual(groupsOf(tree, 'jobs/1'), { g: ['m1:jobs/+', 'm2:jobs/#', 'm3:#'] });
  // a shared '#' still does not see $ topics
  assert.deepEqual(groupsOf(tree, '$SYS/x'), {});
});

test('shared: a member in a group and also non-shared on the same filter is two subscriptions', () => {
  const tree = new TopicTree<string>();
  assert.equal(tree.add('c', 'a/+', opts(1), 'g'), true);
  assert.equal(tree.add('c', 'a/+', opts(0)), true);
  assert.equal(tree.size, 2);
  assert.deepEqual(matched(tree, 'a/b'), ['c:a/+']);
  assert.deepEqual(groupsOf(tree, 'a/b'), { g: ['c:a/+'] });
  const own = tree.subscriptionsOf('c').map((s) => `${s.group ?? '-'}:${s.filter}:${s.qos}`);
  assert.deepEqual(own.sort(), ['-:a/+:0', 'g:a/+:1']);
  assert.equal(tree.remove('c', 'a/+', 'g'), true);
  assert.deepEqual(groupsOf(tree, 'a/b'), {});
  assert.deepEqual(matched(tree, 'a/b'), ['c:a/+']);
});

test('remove: only the named subscription, false when absent, prunes the branch', () => {
  const tree = new TopicTree<string>();
  tree.add('c1', 'a/b/c', opts());
  tree.add('c2', 'a/b/c', opts());
  tree.add('c1', 'a/+/#', opts());
  assert.equal(tree.remove('c1', 'a/b/c'), true);
  assert.equal(tree.remove('c1', 'a/b/c'), false);
  assert.equal(tree.remove('c1', 'x'), false);
  assert.equal(tree.remove('c1', 'a/+/#', 'g'), false, 'group is part of the identity');
  assert.equal(tree.remove('nobody', 'a/b/c'), false);
  assert.equal(tree.size, 2);
  assert.deepEqual(matched(tree, 'a/b/c'), ['c1:a/+/#', 'c2:a/b/c']);
  tree.remove('c2', 'a/b/c');
  tree.remove('c1', 'a/+/#');
  assert.equal(tree.size, 0);
  assert.deepEqual(matched(tree, 'a/b/c'), []);
  assert.deepEqual(tree.subscriptionsOf('c1'), []);
  assertPruned(tree);
});

test('removeAll: drops every subscription of one subscriber, shared included, and prunes', () => {
  const tree = new TopicTree<string>();
  tree.add('c', 'a/+', opts());
  tree.add('c', '#', opts());
  tree.add('c', 'x/y', opts(), 'g');
  tree.add('other', 'a/b', opts());
  assert.equal(tree.removeAll('c'), 3);
  assert.equal(tree.removeAll('c'), 0);
  assert.equal(tree.size, 1);
  assert.deepEqual(matched(tree, 'a/b'), ['other:a/b']);
  assert.deepEqual(groupsOf(tree, 'x/y'), {});
  tree.removeAll('other');
  assert.equal(tree.size, 0);
  assertPruned(tree);
});

test('object keys are compared by identity', () => {
  const tree = new TopicTree<{ id: string }>();
  const a = { id: 'same' };
  const b = { id: 'same' };
  tree.add(a, 't', opts());
  tree.add(b, 't', opts());
  const seen: { id: string }[] = [];
  tree.match('t', (s) => seen.push(s.subscriber));
  assert.equal(seen.length, 2);
  assert.ok(seen.includes(a) && seen.includes(b));
});

test('unicode topics and filters', () => {
  const tree = new TopicTree<string>();
  tree.add('c', 'gebäude/+/温度', opts());
  tree.add('d', '🚀/#', opts());
  assert.deepEqual(matched(tree, 'gebäude/küche/温度'), ['c:gebäude/+/温度']);
  assert.deepEqual(matched(tree, '🚀'), ['d:🚀/#']);
  assert.deepEqual(matched(tree, 'gebaude/küche/温度'), []);
});

test('a deep topic against deep + filters does not overflow the stack', () => {
  const tree = new TopicTree<string>();
  const depth = 30000;
  tree.add('deep', Array(depth).fill('+').join('/'), opts());
  assert.deepEqual(matched(tree, Array(depth).fill('x').join('/')), [
    `deep:${Array(depth).fill('+').join('/')}`,
  ]);
  tree.removeAll('deep');
  assertPruned(tree);
});

test('100k subscriptions: add, match and remove stay correct', () => {
  const tree = new TopicTree<string>();
  const n = 100_000;
  for (let i = 0; i < n; i++) assert.equal(tree.add(`d${i}`, `devices/${i}/commands/+`, opts(1)), true);
  for (let i = 0; i < 10; i++) tree.add(`app${i}`, 'devices/+/telemetry', opts());
  tree.add('audit', '#', opts());
  tree.add('w1', 'devices/+/telemetry', opts(), 'ingest');
  tree.add('w2', 'devices/+/telemetry', opts(), 'ingest');
  assert.equal(tree.size, n + 13);

  for (const i of [0, 1, 4242, 99_999]) {
    assert.deepEqual(matched(tree, `devices/${i}/commands/reboot`), [
      'audit:#',
      `d${i}:devices/${i}/commands/+`,
    ]);
  }
  const tele = matched(tree, 'devices/7/telemetry');
  assert.equal(tele.length, 11);
  assert.deepEqual(groupsOf(tree, 'devices/7/telemetry'), {
    ingest: ['w1:devices/+/telemetry', 'w2:devices/+/telemetry'],
  });
  assert.deepEqual(matched(tree, `devices/${n}/commands/x`), ['audit:#']);

  for (let i = 0; i < n; i++) assert.equal(tree.remove(`d${i}`, `devices/${i}/commands/+`), true);
  assert.equal(tree.size, 13);
  assert.deepEqual(matched(tree, 'devices/5/commands/reboot'), ['audit:#']);
  for (const s of ['audit', 'w1', 'w2']) tree.removeAll(s);
  for (let i = 0; i < 10; i++) tree.removeAll(`app${i}`);
  assert.equal(tree.size, 0);
  assertPruned(tree);
});

test('randomised: the tree agrees with topicMatches', () => {
  const words = ['a', 'b', '', '$s'];
  let seed = 42;
  const rnd = (k: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 16) % k; // the high bits of a power-of-two LCG are the random ones
  };
  const path = (len: number, pick: () => string) => Array.from({ length: len }, pick).join('/');
  const filters = new Set<string>();
  while (filters.size < 200) {
    const len = 1 + rnd(4);
    const f = path(len, () => ['+', ...words][rnd(5)] as string);
    filters.add(rnd(3) === 0 ? (f === '' ? '#' : `${f}/#`) : f);
  }
  const tree = new TopicTree<string>();
  for (const f of filters) tree.add(f, f, opts());
  for (let k = 0; k < 300; k++) {
    const topic = path(1 + rnd(4), () => words[rnd(4)] as string);
    const expected = [...filters].filter((f) => topicMatches(f, topic)).map((f) => `${f}:${f}`);
    assert.deepEqual(matched(tree, topic), expected.sort(), topic);
  }
});

/** After everything is removed nothing matches and no trie node remains. */
function assertPruned(tree: TopicTree<string>): void {
  assert.deepEqual(matched(tree, 'a/b'), []);
  assert.equal(tree.nodeCount, 0);
}
