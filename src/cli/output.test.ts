import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatAgo, formatLabels, formatRecord, formatTable, formatTime } from './output.js';

test('formatTable pads columns to the widest cell and trims line ends', () => {
  const out = formatTable(
    ['ID', 'NAME', 'GROUPS'],
    [
      ['press-7', 'Press 7', ''],
      ['p2', '', 'line-1,line-2'],
    ],
  );
  assert.equal(
    out,
    ['ID       NAME     GROUPS', 'press-7  Press 7', 'p2                line-1,line-2'].join('\n'),
  );
});

test('formatTable with no rows is the header alone', () => {
  assert.equal(formatTable(['ID', 'NAME'], []), 'ID  NAME');
});

test('formatRecord aligns values and shows empty ones as -', () => {
  assert.equal(
    formatRecord([
      ['ID', 'p7'],
      ['Last seen', ''],
    ]),
    'ID:        p7\nLast seen: -',
  );
});

test('formatLabels sorts keys so the output is stable', () => {
  assert.equal(formatLabels({ site: 'lyon', floor: '2' }), 'floor=2, site=lyon');
  assert.equal(formatLabels(undefined), '');
});

test('formatAgo reads as a person would say it', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  assert.equal(formatAgo(null, now), 'never');
  assert.equal(formatAgo('2024-05-01T11:59:58Z', now), 'just now');
  assert.equal(formatAgo('2024-05-01T11:59:30Z', now), '30s ago');
  assert.equal(formatAgo('2024-05-01T11:55:00Z', now), '5m ago');
  assert.equal(formatAgo('2024-05-01T09:00:00Z', now), '3h ago');
  assert.equal(formatAgo('2024-04-28T12:00:00Z', now), '3d ago');
  assert.equal(formatAgo('not a date', now), 'not a date');
});

test('formatTime is a short UTC timestamp', () => {
  assert.equal(formatTime('2024-05-01T12:00:00.123Z'), '2024-05-01 12:00:00Z');
  assert.equal(formatTime(null), '-');
});
