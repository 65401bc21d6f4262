/**
 * The rule engine with real parts: SQLite stores (registry, rule state), the
 * registry service, the in-process bus. Telemetry is published on the bus as
 * the telemetry service does after storing it; transitions are read off the bus.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { RuleTransition } from '../../src/core/bus.js';
import { createMemoryBus } from '../../src/core/bus-memory.js';
import { systemClock } from '../../src/core/clock.js';
import { createRegistryService } from '../../src/registry/service.js';
import { createRuleEngine, type EngineRule } from '../../src/rules/engine.js';
import { parseRule } from '../../src/rules/index.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';

const log = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 10, 26, 8);

describe('rule engine', () => {
  let dir: string;
  let stores: ReturnType<typeof createSqliteStores>;
  let bus: ReturnType<typeof createMemoryBus>;
  let registry: ReturnType<typeof createRegistryService>;
  /** The rules the engine serves (what the rule service would hold). */
  let stored: EngineRule[];
  let seen: RuleTransition[];

  const rule = (raw: Record<string, unknown>, version = 1): EngineRule => {
    const { rule: spec, problems } = parseRule(raw);
    assert.deepEqual(problems, []);
    return { tenant: 'default', name: raw.name as string, version, spec: spec as NonNullable<typeof spec> };
  };
  const engine = () =>
    createRuleEngine({
      bus,
      registry,
      states: stores.ruleStates,
      clock: systemClock,
      log,
      metrics: new Registry(),
      rules: {
        listAll: async () => stored,
        current: async (tenant, name) =>
          stored.find((r) => r.tenant === tenant && r.name === name && r.spec.enabled),
      },
    });
  const points = (device: string, ...pts: [string, number, number][]) =>
    bus.publish('telemetry', {
      tenant: 'default',
      device,
      points: pts.map(([key, ts, value]) => ({ key, ts, value })),
      events: [],
    });
  const settle = () => new Promise((r) => setTimeout(r, 30));

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plexus-rules-'));
    stores = createSqliteStores(dir, log);
    bus = createMemoryBus(log);
    registry = createRegistryService({ store: stores.registry, bus, clock: systemClock });
    await registry.createTenant({ id: 'default' });
    await registry.createProfile('default', { id: 'press' });
    await registry.createDevice('default', { id: 'press-7', profile: 'press' });
    await registry.createDevice('default', { id: 'pump-1' });
    seen = [];
    bus.subscribe('test', 'rule-transition', (t) => seen.push(t));
  });
  afterEach(async () => {
    await stores.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const overheat = {
    name: 'overheat',
    target: { profile: 'press' },
    condition: { type: 'threshold', key: 'temperature', op: '>', value: 90, for: '2s' },
    alarm: { type: 'overheat', severity: 'critical' },
  };

  test('fires once the condition held for its duration, clears when it stops; only for targeted devices', async () => {
    stored = [rule(overheat)];
    const e = engine();
    await e.start();
    points('press-7', ['temperature', T0, 95], ['temperature', T0 + 1000, 96]);
    points('pump-1', ['temperature', T0, 99], ['temperature', T0 + 5000, 99]);
    await settle();
    assert.equal(seen.length, 0);
    points(
      'press-7',
      ['temperature', T0 + 2000, 97],
      ['vibration', T0 + 2500, 1],
      ['temperature', T0 + 3000, 50],
    );
    await settle();
    assert.deepEqual(
      seen.map((t) => [t.device, t.rule, t.firing, t.ts, t.key, t.value, t.alarm?.type]),
      [
        ['press-7', 'overheat', true, T0 + 2000, 'temperature', 97, 'overheat'],
        ['press-7', 'overheat', false, T0 + 3000, 'temperature', 50, 'overheat'],
      ],
    );
    await e.stop();
  });

  test('a restart in the middle of a duration keeps the state: the window goes on', async () => {
    stored = [rule(overheat)];
    const first = engine();
    await first.start();
    points('press-7', ['temperature', T0, 95], ['temperature', T0 + 1500, 95]);
    await settle();
    await first.stop();
    const second = engine();
    await second.start();
    points('press-7', ['temperature', T0 + 2000, 95]);
    await settle();
    assert.deepEqual(
      seen.map((t) => [t.firing, t.ts]),
      [[true, T0 + 2000]],
      'held since T0 across the restart',
    );
    await second.stop();
  });

  test('inactivity watches devices that never sent anything', async () => {
    stored = [
      rule({
        name: 'silent',
        target: { profile: 'press' },
        condition: { type: 'inactivity', after: '1s' },
        alarm: { type: 'silent', severity: 'warning' },
      }),
    ];
    const e = engine();
    await e.start();
    // The ticker runs every second: the first tick starts the count, a later one sees 1 s passed.
    const deadline = Date.now() + 8000;
    while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(
      seen.map((t) => [t.device, t.firing]),
      [['press-7', true]],
    );
    await e.stop();
  });

  test('a changed rule releases the devices it fired for, then starts over from its new version', async () => {
    stored = [
      rule({ ...overheat, condition: { type: 'threshold', key: 'temperature', op: '>', value: 90 } }),
    ];
    const e = engine();
    await e.start();
    points('press-7', ['temperature', T0, 95]);
    await settle();
    stored = [
      rule({ ...overheat, condition: { type: 'threshold', key: 'temperature', op: '>', value: 99 } }, 2),
    ];
    bus.publish('rule-changed', { tenant: 'default', name: 'overheat' });
    await settle();
    points('press-7', ['temperature', T0 + 1000, 98], ['temperature', T0 + 2000, 100]);
    await settle();
    assert.deepEqual(
      seen.map((t) => [t.firing, t.version, t.value ?? null]),
      [
        [true, 1, 95],
        [false, 1, null],
        [true, 2, 100],
      ],
    );
    await e.stop();
  });

  test("a device moved into a rule's target is served at once on a registry event, and after the re-read without one", async () => {
    stored = [
      rule({
        name: 'lyon-hot',
        target: { labels: { site: 'lyon' } },
        condition: { type: 'threshold', key: 'temperature', op: '>', value: 90 },
        alarm: { type: 'hot', severity: 'major' },
      }),
    ];
    let now = T0;
    const e = createRuleEngine({
      bus,
      registry,
      states: stores.ruleStates,
      clock: { now: () => now },
      log,
      metrics: new Registry(),
      rules: { listAll: async () => stored, current: async () => undefined },
    });
    await e.start();
    points('pump-1', ['temperature', T0, 95]);
    await settle();
    assert.equal(seen.length, 0, 'not in Lyon yet');
    // Through the registry service: its event makes the engine read the device again at once.
    await registry.updateDevice('default', 'pump-1', { labels: { site: 'lyon' } });
    points('pump-1', ['temperature', T0 + 1000, 96]);
    await settle();
    assert.deepEqual(
      seen.map((t) => [t.device, t.firing]),
      [['pump-1', true]],
    );
    // Written behind the engine's back (another node, say): seen after the periodic re-read.
    const press = await registry.findDevice('default', 'press-7');
    assert.ok(press);
    points('press-7', ['temperature', T0, 95]);
    await settle();
    await stores.registry.updateDevice('default', { ...press, labels: { site: 'lyon' } });
    points('press-7', ['temperature', T0 + 1000, 95]);
    await settle();
    assert.equal(seen.length, 1, 'facts are cached until their time');
    now += 91_000;
    points('press-7', ['temperature', T0 + 2000, 95]); // served with the old facts; the re-read starts
    await settle();
    points('press-7', ['temperature', T0 + 3000, 97]);
    await settle();
    assert.deepEqual(
      seen.map((t) => [t.device, t.firing, t.value]),
      [
        ['pump-1', true, 96],
        ['press-7', true, 97],
      ],
    );
    await e.stop();
  });
});
