import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatCount, formatElapsed, formatProgress, formatSummary, RateMeter } from './progress.js';

const p = {
  connected: 20,
  devices: 20,
  pointsPerSec: 38.2,
  points: 1204,
  commandsAnswered: 2,
  alarmsActive: 1,
  errors: 0,
};

test('formatProgress: the documented line, singular and plural', () => {
  assert.equal(
    formatProgress('factory', p),
    'factory  20/20 connected  38 pts/s  1,204 points  2 commands answered  1 alarm active  (Ctrl-C stops)',
  );
  assert.equal(
    formatProgress(
      'fleet',
      { ...p, connected: 3, pointsPerSec: 2.46, points: 1, commandsAnswered: 1, alarmsActive: 0 },
      '',
    ),
    'fleet  3/20 connected  2.5 pts/s  1 point  1 command answered  0 alarms active',
  );
});

test('formatProgress: errors appear only when there are some', () => {
  assert.doesNotMatch(formatProgress('grid', p), /error/);
  assert.match(formatProgress('grid', { ...p, errors: 1 }), /1 alarm active {2}1 error {2}\(Ctrl-C stops\)$/);
  assert.match(formatProgress('grid', { ...p, errors: 1234 }), / 1,234 errors /);
});

test('formatCount and formatElapsed', () => {
  assert.equal(formatCount(0), '0');
  assert.equal(formatCount(1234567.4), '1,234,567');
  assert.equal(formatElapsed(12_400), '12 s');
  assert.equal(formatElapsed(65_000), '1 min 5 s');
  assert.equal(formatElapsed(7_380_000), '2 h 3 min');
});

test('formatSummary: totals and the average rate', () => {
  assert.equal(
    formatSummary('factory', { ...p, elapsedMs: 65_000, points: 1300, seed: 1 }),
    'Stopped factory after 1 min 5 s: 20 devices, 1,300 points (20 pts/s), 2 commands answered, 1 alarm active, 0 errors',
  );
  assert.match(formatSummary('x', { ...p, elapsedMs: 0, points: 0, seed: 1 }), /0 points \(0 pts\/s\)/);
});

test('RateMeter: rate over the window, not since the start', () => {
  const m = new RateMeter(5000);
  assert.equal(m.add(0, 0), 0);
  assert.equal(m.add(1000, 100), 100);
  for (let t = 2000; t <= 10_000; t += 1000) m.add(t, 100 + (t - 1000) / 100); // then 10/s
  assert.equal(m.add(11_000, 200), 10);
});
