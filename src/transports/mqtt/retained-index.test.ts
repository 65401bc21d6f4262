import assert from 'node:assert/strict';
import { test } from 'node:test';
import { topicMatches } from '../../core/topic.js';
import { RetainedIndex } from './retained-index.js';

function matched<V>(index: RetainedIndex<V>, filter: string): string[] {
  const out: string[] = [];
  index.match(filter, (topic) => out.push(topic));
  return out.sort();
}

const TOPICS = [
  'a',
  'a/b',
  'a/c',
  'a/b/c',
  'a//b',
  '/a',
  'a/',
  '/',
  'sport/tennis/player1',
  'sport/tennis/player1/ranking',
  'sport/tennis/player2',
  '$SYS/broker/uptime',
  '$SYS',
  'x/$y',
];

function filled(): RetainedIndex<string> {
  const index = new RetainedIndex<string>();
  for (const t of TOPICS) index.set(t, `v:${t}`);
  return index;
}

test('set, get, replace and size', () => {
  const index = new RetainedIndex<number>();
  index.set('a/b', 1);
  index.set('a/b', 2);
  index.set('a', 3);
  assert.equal(index.size, 2);
  assert.equal(index.get('a/b'), 2);
  assert.equal(index.get('a'), 3);
  assert.equal(index.get('a/c'), undefined);
  assert.deepEqual([...index.entries()].sort(), [
    ['a', 3],
    ['a/b', 2],
  ]);
});

test('delete: removes one topic, keeps parents and children, prunes empty branches', () => {
  const index = new RetainedIndex<number>();
  index.set('a', 1);
  index.set('a/b/c', 2);
  index.set('a/b/d', 3);
  assert.equal(index.delete('a/b'), false, 'an inner level without a value is not retained');
  assert.equal(index.delete('a/b/c'), true);
  assert.equal(index.delete('a/b/c'), false);
  assert.equal(index.size, 2);
  assert.deepEqual(matched(index, '#'), ['a', 'a/b/d']);
  assert.equal(index.delete('a'), true);
  assert.deepEqual(matched(index, 'a/#'), ['a/b/d']);
  assert.equal(index.delete('a/b/d'), true);
  assert.equal(index.size, 0);
  assert.equal(index.nodeCount, 0);
  assert.deepEqual(matched(index, '#'), []);
  assert.deepEqual([...index.entries()], []);
});

test("match('#') returns everything except $ topics [MQTT-4.7.2-1]", () => {
  const all = matched(filled(), '#');
  assert.deepEqual(all, TOPICS.filter((t) => !t.startsWith('$')).sort());
});

test('match: $ topics only through filters naming the $ level', () => {
  const index = filled();
  assert.deepEqual(matched(index, '+/broker/uptime'), []);
  assert.deepEqual(matched(index, '+'), ['a']);
  assert.deepEqual(matched(index, '$SYS/#'), ['$SYS', '$SYS/broker/uptime']);
  assert.deepEqual(matched(index, '$SYS/+/uptime'), ['$SYS/broker/uptime']);
  assert.deepEqual(matched(index, 'x/+'), ['x/$y'], 'the $ rule applies to the first level only');
});

test('match: spec examples and empty levels', () => {
  const index = filled();
  assert.deepEqual(matched(index, 'sport/tennis/player1/#'), [
    'sport/tennis/player1',
    'sport/tennis/player1/ranking',
  ]);
  assert.deepEqual(matched(index, 'sport/tennis/+'), ['sport/tennis/player1', 'sport/tennis/player2']);
  assert.deepEqual(matched(index, 'sport/+'), []);
  assert.deepEqual(matched(index, 'a/+'), ['a/', 'a/b', 'a/c']);
  assert.deepEqual(matched(index, 'a/+/b'), ['a//b']);
  assert.deepEqual(matched(index, '+/+'), ['/', '/a', 'a/', 'a/b', 'a/c', 'x/$y']);
  assert.deepEqual(matched(index, '/#'), ['/', '/a']);
  assert.deepEqual(matched(index, 'a/b'), ['a/b']);
  assert.deepEqual(matched(index, 'nope/#'), []);
});

test('match agrees with topicMatches for every filter shape', () => {
  const index = filled();
  const filters = ['#', '+', '+/#', 'a/#', 'a/+/#', '+/+/+', '/+', '+/', '$SYS/#', '+/$y', 'x/#', 'a//+'];
  for (const f of filters) {
    const expected = TOPICS.filter((t) => topicMatches(f, t)).sort();
    assert.deepEqual(matched(index, f), expected, f);
  }
});

test('match passes the stored value', () => {
  const index = new RetainedIndex<{ payload: string }>();
  index.set('t/1', { payload: 'one' });
  index.set('t/2', { payload: 'two' });
  const seen: Record<string, string> = {};
  index.match('t/+', (topic, v) => {
    seen[topic] = v.payload;
  });
  assert.deepEqual(seen, { 't/1': 'one', 't/2': 'two' });
});

test('unicode topics', () => {
  const index = new RetainedIndex<number>();
  index.set('gebäude/küche/温度', 1);
  index.set('🚀', 2);
  assert.deepEqual(matched(index, 'gebäude/+/温度'), ['gebäude/küche/温度']);
  assert.deepEqual(matched(index, '🚀/#'), ['🚀']);
  assert.equal(index.get('🚀'), 2);
});

test('many topics: match stays within the filtered branch', () => {
  const index = new RetainedIndex<number>();
  for (let i = 0; i < 20_000; i++) index.set(`devices/${i}/state`, i);
  index.set('other/x', -1);
  assert.deepEqual(matched(index, 'devices/123/+'), ['devices/123/state']);
  assert.equal(matched(index, 'devices/+/state').length, 20_000);
  assert.deepEqual(matched(index, 'other/#'), ['other/x']);
  for (let i = 0; i < 20_000; i++) index.delete(`devices/${i}/state`);
  index.delete('other/x');
  assert.equal(index.nodeCount, 0);
});
