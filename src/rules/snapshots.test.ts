import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { createSqliteStores } from '../store/sqlite/index.js';
import { DeviceStates } from './device-states.js';
import { nextSnapshotIn, SNAPSHOT_MAX_MS, SNAPSHOT_MS, StateSnapshots } from './snapshots.js';

test('snapshots: every 15 s while cheap, spaced out to stay at 3 % of the thread, never past a minute', () => {
  assert.equal(nextSnapshotIn(5), SNAPSHOT_MS);
  assert.equal(nextSnapshotIn(450), SNAPSHOT_MS);
  assert.equal(nextSnapshotIn(900), 30_000);
  assert.equal(nextSnapshotIn(10_000), SNAPSHOT_MAX_MS);
});

test('a snapshot in adaptive slices saves every changed device exactly once, then nothing', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'plexus-snap-'));
  const log = pino({ level: 'silent' });
  const stores = createSqliteStores(dir, log);
  try {
    const states = new DeviceStates();
    const rule = { tenant: 'default', name: 'hot', version: 3 };
    for (let i = 0; i < 2500; i++) {
      states.get(
        rule,
        `d-${i}`,
        () => ({ n: i }),
        () => undefined,
      );
    }
    const snaps = new StateSnapshots(states, stores.ruleStates, () => rule, log);
    const cost = await snaps.save();
    assert.ok(cost > 0);
    const rows = await stores.ruleStates.loadAll();
    assert.equal(rows.length, 2500);
    assert.equal(new Set(rows.map((r) => r.device)).size, 2500);
    assert.deepEqual(rows.find((r) => r.device === 'd-1234')?.state, { n: 1234 });
    // Nothing changed since: the next snapshot writes nothing (the store would throw on a closed db).
    await stores.close();
    await snaps.save();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
