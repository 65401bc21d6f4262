import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSysTopic, parseShared, topicFilterProblem, topicMatches, topicNameProblem } from './topic.js';

test('topic names: valid ones, including empty levels and unicode', () => {
  for (const t of ['a', 'a/b', '/', '/a', 'a/', 'a//b', '$SYS/x', 'sport/tennis/player1', 'ü/日本/🚀', ' ']) {
    assert.equal(topicNameProblem(t), undefined, t);
  }
});

test('topic names: empty is refused [MQTT-4.7.3-1]', () => {
  assert.equal(topicNameProblem(''), 'must not be empty');
});

test('topic names: wildcards are refused anywhere [MQTT-3.3.2-2]', () => {
  for (const t of ['+', '#', 'a/+', 'a/#', 'a+b', 'a#', 'a/+/b']) {
    assert.equal(topicNameProblem(t), 'must not contain wildcards', t);
  }
});

test('topic names: U+0000 and lone surrogates are refused [MQTT-4.7.3-2] [MQTT-1.5.4-1]', () => {
  assert.equal(topicNameProblem('a\u0000b'), 'must not contain U+0000');
  assert.equal(topicNameProblem('a\ud800'), 'must be well-formed UTF-8');
  assert.equal(topicNameProblem('\udc00a'), 'must be well-formed UTF-8');
});

test('topic names: at most 65535 UTF-8 bytes [MQTT-4.7.3-3]', () => {
  assert.equal(topicNameProblem('a'.repeat(65535)), undefined);
  assert.equal(topicNameProblem('a'.repeat(65536)), 'must not exceed 65535 bytes');
  // 21845 × 3 bytes = 65535; one more 'é' (2 bytes) goes over although the string is short
  assert.equal(topicNameProblem('€'.repeat(21845)), undefined);
  assert.equal(topicNameProblem(`${'€'.repeat(21845)}é`), 'must not exceed 65535 bytes');
});

test('filters: valid ones', () => {
  const valid = [
    '#',
    '+',
    '+/+',
    '/+',
    'a/#',
    'a/+/b',
    '+/tennis/#',
    'a//b',
    'a/',
    '/',
    '$SYS/#',
    'ü/+/日本',
  ];
  for (const f of valid) assert.equal(topicFilterProblem(f), undefined, f);
});

test('filters: empty, U+0000 and oversize are refused', () => {
  assert.equal(topicFilterProblem(''), 'must not be empty');
  assert.equal(topicFilterProblem('a/\u0000'), 'must not contain U+0000');
  assert.equal(topicFilterProblem(`${'a/'.repeat(32768)}`), 'must not exceed 65535 bytes');
});

test("filters: '#' only as the whole last level [MQTT-4.7.1-1]", () => {
  for (const f of ['a#', 'a/#/b', '#/a', '##', 'a/b#', 'a/#/']) {
    assert.equal(topicFilterProblem(f), "'#' must be the whole last level", f);
  }
});

test("filters: '+' only as a whole level [MQTT-4.7.1-2]", () => {
  for (const f of ['a+', '+a', 'a/b+/c', 'sport+', '++']) {
    assert.equal(topicFilterProblem(f), "'+' must occupy a whole level", f);
  }
});

test('filters: shared subscriptions [MQTT-4.8.2-1] [MQTT-4.8.2-2]', () => {
  for (const f of ['$share/g/a', '$share/g/#', '$share/g/+/x', '$share/g//', '$share/g/$SYS/#']) {
    assert.equal(topicFilterProblem(f), undefined, f);
  }
  assert.equal(topicFilterProblem('$share//a'), 'share name must not be empty');
  assert.equal(topicFilterProblem('$share/'), 'share name must not be empty');
  assert.equal(topicFilterProblem('$share/g+/a'), 'share name must not contain wildcards');
  assert.equal(topicFilterProblem('$share/#/a'), 'share name must not contain wildcards');
  assert.equal(topicFilterProblem('$share/g'), 'shared subscription needs a topic filter');
  assert.equal(topicFilterProblem('$share/g/'), 'shared subscription needs a topic filter');
  assert.equal(topicFilterProblem('$share/g/a#'), "'#' must be the whole last level");
  // only the exact `$share/` prefix makes a filter shared
  assert.equal(topicFilterProblem('$shared/x'), undefined);
});

test('parseShared splits valid shared filters and ignores others', () => {
  assert.deepEqual(parseShared('$share/g/a/+'), { group: 'g', filter: 'a/+' });
  assert.deepEqual(parseShared('$share/grp/#'), { group: 'grp', filter: '#' });
  assert.deepEqual(parseShared('$share/g//'), { group: 'g', filter: '/' });
  for (const f of [
    'a/b',
    '$share',
    '$share/',
    '$share/g',
    '$share/g/',
    '$share//a',
    '$share/g+/a',
    '$sharex/g/a',
  ]) {
    assert.equal(parseShared(f), undefined, f);
  }
});

test('isSysTopic: topics starting with $', () => {
  assert.equal(isSysTopic('$SYS/broker'), true);
  assert.equal(isSysTopic('$'), true);
  assert.equal(isSysTopic('a/$SYS'), false);
  assert.equal(isSysTopic(''), false);
});

const cases: [filter: string, topic: string, expected: boolean][] = [
  // exact
  ['a/b', 'a/b', true],
  ['a/b', 'a/c', false],
  ['a/b', 'a/b/c', false],
  ['a/b/c', 'a/b', false],
  ['a', 'ab', false],
  // spec §4.7.1.2 examples
  ['sport/tennis/player1/#', 'sport/tennis/player1', true],
  ['sport/tennis/player1/#', 'sport/tennis/player1/ranking', true],
  ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon', true],
  ['sport/tennis/player1/#', 'sport/tennis/player2', false],
  ['sport/#', 'sport', true],
  // spec §4.7.1.3 examples
  ['sport/tennis/+', 'sport/tennis/player1', true],
  ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
  ['sport/+', 'sport', false],
  ['sport/+', 'sport/', true],
  ['+/+', '/finance', true],
  ['/+', '/finance', true],
  ['+', '/finance', false],
  ['+/tennis/#', 'sport/tennis/player1', true],
  // empty levels
  ['a//b', 'a//b', true],
  ['a/+/b', 'a//b', true],
  ['a//b', 'a/b', false],
  ['+', '', true],
  ['/#', '/a', true],
  ['/#', 'a', false],
  ['a/', 'a', false],
  ['a/+', 'a/', true],
  ['a/#', 'a/', true],
  ['+/#', 'a', true],
  ['a/+/#', 'a', false],
  // '#' and '+' alone
  ['#', 'a', true],
  ['#', 'a/b/c', true],
  ['#', '/', true],
  ['+', 'a', true],
  ['+', 'a/b', false],
  // $ topics [MQTT-4.7.2-1]
  ['#', '$SYS/x', false],
  ['+/x', '$SYS/x', false],
  ['+', '$SYS', false],
  ['$SYS/#', '$SYS/x', true],
  ['$SYS/#', '$SYS', true],
  ['$SYS/+', '$SYS/x', true],
  ['a/#', 'a/$b', true],
  ['a/+', 'a/$b', true],
  // unicode compares by code units, case-sensitive
  ['ü/+/🚀', 'ü/日本/🚀', true],
  ['Ü/#', 'ü/x', false],
];

test('topicMatches: spec examples, empty levels, wildcards alone, $ topics, unicode', () => {
  for (const [filter, topic, expected] of cases) {
    assert.equal(topicMatches(filter, topic), expected, `${filter} ~ ${topic}`);
  }
});
