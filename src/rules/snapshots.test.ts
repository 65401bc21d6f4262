import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextSnapshotIn, SNAPSHOT_MAX_MS, SNAPSHOT_MS } from './snapshots.js';

test('snapshots: every 15 s while cheap, spaced out to stay at 3 % of the thread, never past a minute', () => {
  assert.equal(nextSnapshotIn(5), SNAPSHOT_MS);
  assert.equal(nextSnapshotIn(450), SNAPSHOT_MS);
  assert.equal(nextSnapshotIn(900), 30_000);
  assert.equal(nextSnapshotIn(10_000), SNAPSHOT_MAX_MS);
});
