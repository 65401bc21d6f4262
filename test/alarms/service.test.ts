/**
 * The alarm service over real SQLite stores, a real memory bus and the
 * real registry: rule transitions published on the bus raise, repeat and
 * clear alarms; operators acknowledge, clear and comment; every change is
 * announced on the bus for the live stream.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { type AlarmService, createAlarmService } from '../../src/alarms/index.js';
import type { AlarmChange, Bus, RuleTransition } from '../../src/core/bus.js';
import { createMemoryBus } from '../../src/core/bus-memory.js';
import { PlexusError } from '../../src/core/errors.js';
import { createRegistryService, type RegistryService } from '../../src/registry/index.js';
import { createSqliteAlarmStore } from '../../src/store/sqlite/alarms.js';
import { migrateSqlite, openSqlite } from '../../src/store/sqlite/database.js';
import { createSqliteRegistryStore } from '../../src/store/sqlite/registry.js';

interface World {
  readonly alarms: AlarmService;
  readonly registry: RegistryService;
  readonly bus: Bus;
  readonly events: AlarmChange[];
  readonly metrics: Registry;
  /** Publishes a transition of `rule` for `device` and waits until it is applied. */
  fire(device: string, firing: boolean, extra?: Partial<RuleTransition>): Promise<void>;
  clock: { t: number };
}

const HOT = { type: 'high-temperature', severity: 'major', autoClear: true } as const;

async function withWorld(run: (w: World) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-alarms-'));
  const log = pino({ level: 'silent' });
  const db = openSqlite(dir);
  migrateSqlite(db);
  const registryStore = createSqliteRegistryStore(db);
  const bus = createMemoryBus(log);
  const clock = { t: 1_700_000_000_000 };
  const now = { now: () => clock.t };
  const metrics = new Registry();
  try {
    const registry = createRegistryService({ store: registryStore, bus, clock: now });
    const alarms = createAlarmService({
      store: createSqliteAlarmStore(db),
      registry,
      bus,
      clock: now,
      log,
      metrics,
    });
    const events: AlarmChange[] = [];
    bus.subscribe('test', 'alarm', (e) => events.push(e));
    await registry.createTenant({ id: 'default' });
    await registry.createDevice('default', { id: 'press-7' });
    await registry.createDevice('default', { id: 'press-8' });
    const fire = async (device: string, firing: boolean, extra: Partial<RuleTransition> = {}) => {
      clock.t += 1000;
      bus.publish('rule-transition', {
        tenant: 'default',
        device,
        rule: 'overheat',
        version: 1,
        firing,
        ts: clock.t,
        key: 'temp',
        value: 91.5,
        alarm: HOT,
        ...extra,
      });
      await alarms.settled();
    };
    await run({ alarms, registry, bus, events, metrics, fire, clock });
    alarms.stop();
  } finally {
    registryStore.flush();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const code = (c: string) => (err: unknown) => err instanceof PlexusError && err.code === c;

test('a firing raises an alarm; firing again repeats it; stopping clears it when the rule says so', () =>
  withWorld(async ({ alarms, events, fire, metrics, clock }) => {
    await fire('press-7', true);
    const raisedAt = clock.t;
    let page = await alarms.list('default', { limit: 10 });
    assert.equal(page.items.length, 1);
    const first = page.items[0];
    assert.ok(first);
    assert.equal(first.status, 'active');
    assert.equal(first.severity, 'major');
    assert.equal(first.message, 'high-temperature on press-7 (temp = 91.5)');
    assert.deepEqual(first.details, { version: 1, key: 'temp', value: 91.5 });
    assert.equal(first.rule, 'overheat');

    await fire('press-7', true, { value: 95, alarm: { ...HOT, severity: 'critical' } });
    page = await alarms.list('default', { limit: 10, status: 'open' });
    assert.equal(page.items.length, 1, 'one open alarm per dedup key');
    const repeated = page.items[0];
    assert.equal(repeated?.id, first.id);
    assert.equal(repeated?.count, 2);
    assert.equal(repeated?.raisedAt, raisedAt);
    assert.equal(repeated?.lastAt, clock.t);
    assert.equal(repeated?.severity, 'critical', 'a repeat takes the latest severity and message');
    assert.equal(repeated?.message, 'high-temperature on press-7 (temp = 95)');

    await fire('press-7', false);
    const cleared = await alarms.get('default', first.id);
    assert.equal(cleared.status, 'cleared');
    assert.equal(cleared.clearedBy, 'rule:overheat');
    assert.equal(cleared.clearedAt, clock.t);

    await fire('press-7', true);
    const all = await alarms.list('default', { limit: 10 });
    assert.equal(all.items.length, 2, 'a firing after the clear opens a new alarm');
    assert.notEqual(all.items[0]?.id, first.id, 'newest first');
    assert.equal(all.items[0]?.status, 'active');
    assert.equal(all.items[0]?.count, 1);

    assert.deepEqual(
      events.map((e) => [e.id === first.id ? 'first' : 'second', e.status, e.severity]),
      [
        ['first', 'active', 'major'],
        ['first', 'active', 'critical'],
        ['first', 'cleared', 'critical'],
        ['second', 'active', 'major'],
      ],
    );
    assert.ok(events.every((e) => e.tenant === 'default' && e.device === 'press-7' && e.type === HOT.type));
    const metric = await metrics.getSingleMetricAsString('plexus_alarms_raised_total');
    assert.match(metric, /plexus_alarms_raised_total\{severity="major"\} 2/);
  }));

test('with autoClear false the alarm stays open when the condition stops; other types and devices are apart', () =>
  withWorld(async ({ alarms, bus, fire }) => {
    await fire('press-7', true, { alarm: { ...HOT, autoClear: false } });
    await fire('press-7', false, { alarm: { ...HOT, autoClear: false } });
    await fire('press-7', true, { alarm: { ...HOT, type: 'too-cold', autoClear: false } });
    await fire('press-8', true, { alarm: { ...HOT, autoClear: false } });
    // A rule without an alarm (actions only) raises nothing.
    bus.publish('rule-transition', {
      tenant: 'default',
      device: 'press-8',
      rule: 'log',
      version: 1,
      firing: true,
      ts: 1,
    });
    await alarms.settled();
    const open = await alarms.list('default', { limit: 10, status: 'open' });
    assert.equal(open.items.length, 3);
    assert.ok(open.items.every((a) => a.status === 'active' && a.count === 1));
    assert.deepEqual(
      (await alarms.list('default', { limit: 10, device: 'press-7', type: 'too-cold' })).items.map(
        (a) => a.type,
      ),
      ['too-cold'],
    );
  }));

test('operators acknowledge, comment and clear; the history says who and when', () =>
  withWorld(async ({ alarms, events, fire, clock }) => {
    await fire('press-7', true);
    const [raised] = (await alarms.list('default', { limit: 1 })).items;
    assert.ok(raised);
    clock.t += 5000;
    const acked = await alarms.acknowledge('default', raised.id, 'user:alice', 'on my way');
    assert.equal(acked.status, 'acknowledged');
    assert.equal(acked.acknowledgedBy, 'user:alice');
    assert.equal(acked.acknowledgedAt, clock.t);
    const again = await alarms.acknowledge('default', raised.id, 'user:bob');
    assert.equal(again.acknowledgedBy, 'user:alice', 'the first acknowledgement stands');

    await fire('press-7', true);
    const repeated = await alarms.get('default', raised.id);
    assert.equal(repeated.status, 'acknowledged', 'a repeat keeps the acknowledgement');
    assert.equal(repeated.count, 2);

    clock.t += 1000;
    await alarms.comment('default', raised.id, 'user:bob', 'valve replaced');
    await assert.rejects(alarms.comment('default', raised.id, 'user:bob', '   '), code('ALARM_INVALID'));
    await assert.rejects(
      alarms.comment('default', raised.id, 'user:bob', 'x'.repeat(2001)),
      code('ALARM_INVALID'),
    );
    clock.t += 1000;
    const cleared = await alarms.clear('default', raised.id, 'user:alice', 'back to normal');
    assert.equal(cleared.status, 'cleared');
    assert.equal(cleared.clearedBy, 'user:alice');
    assert.equal(cleared.clearedAt, clock.t);
    assert.deepEqual(await alarms.comments('default', raised.id), [
      { at: acked.acknowledgedAt, author: 'user:alice', text: 'on my way' },
      { at: clock.t - 1000, author: 'user:bob', text: 'valve replaced' },
      { at: clock.t, author: 'user:alice', text: 'back to normal' },
    ]);

    await assert.rejects(alarms.acknowledge('default', raised.id, 'user:bob'), code('ALARM_CLEARED'));
    await assert.rejects(alarms.clear('default', raised.id, 'user:bob'), code('ALARM_CLEARED'));
    await fire('press-7', false);
    assert.equal((await alarms.get('default', raised.id)).clearedBy, 'user:alice', 'nothing left to clear');
    await assert.rejects(alarms.get('default', 'alm_nope'), code('ALARM_NOT_FOUND'));
    await assert.rejects(alarms.acknowledge('default', 'alm_nope', 'user:bob'), code('ALARM_NOT_FOUND'));
    await assert.rejects(alarms.comments('default', 'alm_nope'), code('ALARM_NOT_FOUND'));
    await assert.rejects(alarms.get('other', raised.id), code('ALARM_NOT_FOUND'), 'tenants are apart');

    assert.deepEqual(
      events.map((e) => e.status),
      ['active', 'acknowledged', 'acknowledged', 'acknowledged', 'cleared'],
      'raise, acknowledge, repeat, comment, clear (the no-op acknowledge is silent)',
    );
  }));

test('counts per device and for the tenant; deleting a device removes its alarms', () =>
  withWorld(async ({ alarms, registry, fire }) => {
    await fire('press-7', true);
    await fire('press-7', true, { alarm: { ...HOT, type: 'vibration', severity: 'critical' } });
    await fire('press-8', true, { alarm: { ...HOT, severity: 'warning' } });
    await fire('press-8', false, { alarm: { ...HOT, severity: 'warning' } });
    const [vibration] = (await alarms.list('default', { limit: 10, type: 'vibration' })).items;
    assert.ok(vibration);
    await alarms.acknowledge('default', vibration.id, 'user:alice');

    assert.deepEqual(await alarms.counts('default'), {
      total: 2,
      devices: 1,
      bySeverity: { critical: 1, major: 1, minor: 0, warning: 0, info: 0 },
      byStatus: { active: 1, acknowledged: 1, cleared: 1 },
    });
    assert.deepEqual(await alarms.counts('default', 'press-8'), {
      total: 0,
      devices: 0,
      bySeverity: { critical: 0, major: 0, minor: 0, warning: 0, info: 0 },
      byStatus: { active: 0, acknowledged: 0, cleared: 1 },
    });
    await assert.rejects(alarms.counts('default', 'ghost'), code('REGISTRY_DEVICE_NOT_FOUND'));
    assert.deepEqual(
      (await alarms.list('default', { limit: 10, severity: 'critical', rule: 'overheat' })).items.map(
        (a) => a.id,
      ),
      [vibration.id],
    );

    // Keyset paging, newest first.
    const p1 = await alarms.list('default', { limit: 2 });
    assert.equal(p1.items.length, 2);
    assert.ok(p1.nextAfter);
    const p2 = await alarms.list('default', { limit: 2, after: p1.nextAfter });
    assert.equal(p2.items.length, 1);
    assert.equal(p2.nextAfter, undefined);

    await alarms.comment('default', vibration.id, 'user:alice', 'note');
    await registry.deleteDevice('default', 'press-7');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      (await alarms.list('default', { limit: 10 })).items.map((a) => a.device),
      ['press-8'],
    );
    await assert.rejects(alarms.comments('default', vibration.id), code('ALARM_NOT_FOUND'));
    // A late transition for the deleted device raises nothing.
    await fire('press-7', true);
    assert.equal((await alarms.counts('default')).byStatus.active, 0);
  }));
