import { Counter, type Registry } from 'prom-client';
import type { Bus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { RegistryService } from '../registry/index.js';
import type { RuleStateStore } from '../store/index.js';
import { type Condition, parseCondition, type Signal } from './conditions/index.js';
import { type DeviceState, DeviceStates } from './device-states.js';
import { type Known as KnownDevice, KnownDevices, type TwinNow } from './known-devices.js';
import { buildIndex, type DeviceRules, deviceRules, type RuleIndex, rulesReading } from './rule-index.js';
import { telemetrySignals, twinSignal } from './signals.js';
import { StateSnapshots } from './snapshots.js';
import type { RuleSpec } from './spec.js';
import { targetedDevices } from './target-devices.js';
import { transitionOf } from './transition.js';
import { WakeWheel } from './wake-wheel.js';

/** A stored rule as the engine receives it. */
export interface EngineRule {
  readonly tenant: string;
  readonly name: string;
  readonly version: number;
  readonly spec: RuleSpec;
}

export interface RuleSource {
  listAll(): Promise<EngineRule[]>;
  /** The current enabled rule, or undefined when deleted or disabled. */
  current(tenant: string, name: string): Promise<EngineRule | undefined>;
}

export interface EngineDeps {
  readonly bus: Bus;
  readonly registry: RegistryService;
  readonly rules: RuleSource;
  readonly states: RuleStateStore;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Registry;
  /** Reads a device's twin, for rules over twin values when the engine first meets the device. */
  readonly twin?: (tenant: string, device: string) => Promise<TwinNow | undefined>;
}

export type { TwinNow } from './known-devices.js';

interface Compiled extends EngineRule {
  readonly condition: Condition;
}

/** A rule that applies to a device with its state (looked up once; also the wake wheel's entry). */
interface Applicable {
  readonly r: Compiled;
  readonly s: DeviceState;
  readonly device: string;
}

/** Per device: the rules that apply to it, for one index generation. */
interface DeviceLists {
  generation: number;
  mine: DeviceRules<Compiled>;
  /**
   * Per key a rule reads (or one of the `LIST_*` names below), the rules with
   * their states: bounded by what the rules read, whatever keys the device invents.
   */
  readonly rules: Map<string, readonly Applicable[]>;
}
type Known = KnownDevice<DeviceLists>;

// Telemetry keys cannot hold U+0000, so these names never meet a device's key.
const LIST_ANY = '\u0000*';
const LIST_OF = { event: '\u0000event', status: '\u0000status', twin: '\u0000twin' } as const;
const NO_RULES: DeviceRules<Compiled> = { byKey: new Map(), any: [], event: [], status: [], twin: [] };

/** Time-driven states stepped per event-loop turn. */
const TICK_SLICE = 2000;

/**
 * The rule engine (ARCHITECTURE §2): steps every enabled rule's condition
 * with the signals of the devices it targets, in each device's order, and
 * publishes a `rule-transition` whenever a rule starts or stops holding for
 * a device (alarms and actions follow from those). Rules are indexed by the
 * keys they read, so a point is evaluated only by rules that care. A
 * condition that throws is logged and counted; the others go on. Per-device
 * state is snapshotted every 15-60 s (snapshots.ts) and at stop, and restored at start for the
 * same rule version.
 */
export function createRuleEngine(deps: EngineDeps) {
  const { bus, registry, clock } = deps;
  const log = deps.log.child({ part: 'rules' });
  const errors = new Counter({
    name: 'plexus_rule_errors_total',
    help: 'Rule evaluations that threw (the rule is skipped for that signal; others go on).',
    registers: [deps.metrics],
  });
  const transitions = new Counter({
    name: 'plexus_rule_transitions_total',
    help: 'Rules starting (firing) or stopping to hold for a device.',
    labelNames: ['firing'],
    registers: [deps.metrics],
  });
  /** tenant → rule name → compiled rule. */
  const rules = new Map<string, Map<string, Compiled>>();
  let index: RuleIndex<Compiled> = new Map();
  const states = new DeviceStates();
  /** Bumped by every reindex: per-device rule lists computed before it are stale. */
  let generation = 0;
  let ticker: NodeJS.Timeout | undefined;
  /** States of time-driven rules, by when the clock next matters to them. */
  const wheel = new WakeWheel<DeviceState, Applicable>(clock.now());
  let ticking = false;

  function compile(r: EngineRule): Compiled | undefined {
    const { condition, problems } = parseCondition(r.spec.condition);
    if (!condition) {
      log.error({ tenant: r.tenant, rule: r.name, problems }, 'stored rule does not compile; skipped');
      return undefined;
    }
    return { ...r, condition };
  }

  function reindex(): void {
    index = buildIndex(rules);
    generation++;
  }

  function stateOf(r: Compiled, device: string): DeviceState {
    return states.get(
      r,
      device,
      () => r.condition.initial(),
      (s) => {
        // A new state meets the clock at the next tick (inactivity starts counting there).
        if (r.condition.needs.ticks) wheel.schedule(s, { r, s, device }, 0);
      },
    );
  }

  /**
   * After a signal, when does this state next need the clock? After a tick
   * at T, a wake time at or before T was just judged: nothing until a signal.
   */
  function reschedule(a: Applicable, signal: Signal): void {
    const { condition } = a.r;
    if (!condition.needs.ticks) return;
    const wake = condition.wakeAt ? condition.wakeAt(a.s.state) : 0;
    if (signal.kind === 'tick' && wake !== undefined && wake <= signal.ts && condition.wakeAt) return;
    wheel.schedule(a.s, a, wake);
  }

  function step(a: Applicable, signal: Signal): void {
    const { r, s } = a;
    let holds: boolean | undefined;
    // The signal itself, not a copy: this runs for every point and every rule that reads it.
    if (signal.kind === 'point') s.last = signal;
    try {
      holds = r.condition.step(s.state, signal);
    } catch (err) {
      errors.inc();
      log.error({ err, tenant: r.tenant, rule: r.name, device: a.device }, 'rule evaluation failed');
      return;
    }
    reschedule(a, signal);
    // Ticks rarely change state that matters after a restart; stateless conditions never do.
    if (signal.kind !== 'tick' && !r.condition.stateless) s.dirty = true;
    if (holds === undefined || holds === s.firing) return;
    s.dirty = true;
    s.firing = holds;
    transitions.inc({ firing: String(holds) });
    bus.publish('rule-transition', transitionOf(r, a.device, holds, signal.ts, s.last));
  }

  /**
   * The rules that read this signal and target this device, computed once
   * per device and key (until the rules or the device change): with a
   * thousand rules, a point meets only the few that concern it.
   */
  function rulesFor(tenant: string, known: Known, signal: Signal): readonly Applicable[] {
    const lists = known.derived;
    if (lists.generation !== generation) {
      const rulesOfTenant = index.get(tenant);
      lists.mine = rulesOfTenant ? deviceRules(rulesOfTenant, known.facts) : NO_RULES;
      lists.rules.clear();
      lists.generation = generation;
    }
    const key =
      signal.kind === 'point'
        ? lists.mine.byKey.has(signal.key)
          ? signal.key
          : LIST_ANY
        : signal.kind === 'tick'
          ? undefined
          : LIST_OF[signal.kind];
    if (key === undefined) return [];
    let list = lists.rules.get(key);
    if (!list) {
      const device = known.facts.id;
      list = rulesReading(lists.mine, signal).map((r) => ({ r, s: stateOf(r, device), device }));
      lists.rules.set(key, list);
    }
    return list;
  }

  function run(tenant: string, known: Known, signals: readonly Signal[]): void {
    for (const signal of signals) {
      for (const a of rulesFor(tenant, known, signal)) step(a, signal);
    }
  }

  const devices = new KnownDevices<DeviceLists>({
    registry,
    clock,
    log,
    derive: () => ({ generation: -1, mine: NO_RULES, rules: new Map() }),
    wantsTwin: (tenant) => index.get(tenant)?.reading.has('$twin') === true,
    ...(deps.twin ? { twin: deps.twin } : {}),
    run,
  });

  /** Signals of one device, in order (the first ones wait for its facts: profile, groups, labels). */
  function feed(tenant: string, device: string, signals: Signal[]): void {
    if (index.has(tenant) && signals.length > 0) devices.feed(tenant, device, signals);
  }

  /** Steps the states that are due, in slices, so a fleet-wide deadline never holds the event loop. */
  function tick(): void {
    if (ticking) return;
    const now = clock.now();
    const due = wheel.due(now);
    if (due.length === 0) return;
    ticking = true;
    const signal: Signal = { kind: 'tick', ts: now };
    let i = 0;
    const slice = () => {
      const end = Math.min(due.length, i + TICK_SLICE);
      for (; i < end; i++) {
        const { value } = due[i] as (typeof due)[number];
        // Skip states of rules changed or deleted since they were scheduled.
        if (rules.get(value.r.tenant)?.get(value.r.name) !== value.r) continue;
        step(value, signal);
      }
      if (i < due.length) setImmediate(slice);
      else ticking = false;
    };
    slice();
  }

  const snapshots = new StateSnapshots(
    states,
    deps.states,
    (tenant, name) => rules.get(tenant)?.get(name),
    log,
  );

  /** Devices an inactivity rule must watch although they never sent anything. */
  async function seed(r: Compiled): Promise<void> {
    if (!r.condition.needs.keys.includes('*')) return;
    for await (const d of targetedDevices(registry, r.tenant, r.spec.target)) stateOf(r, d.id);
  }

  function install(r: Compiled): void {
    let byName = rules.get(r.tenant);
    if (!byName) {
      byName = new Map();
      rules.set(r.tenant, byName);
    }
    byName.set(r.name, r);
  }

  /** A rule was saved, enabled, disabled or deleted: devices it fired for are released, then it starts over. */
  async function reload(tenant: string, name: string): Promise<void> {
    const before = rules.get(tenant)?.get(name);
    const now = await deps.rules.current(tenant, name);
    if (before && now && before.version === now.version) return;
    if (before) {
      for (const [device, s] of states.of(tenant, name)) {
        if (s.firing) {
          s.firing = false;
          bus.publish('rule-transition', transitionOf(before, device, false, clock.now()));
        }
      }
      states.dropRule(tenant, name);
      rules.get(tenant)?.delete(name);
      generation++; // cached per-device lists hold the states just dropped
      await deps.states.delete(tenant, { rule: name });
    }
    const compiled = now && compile(now);
    if (compiled) {
      install(compiled);
      // Devices met before read their twin again with their next signal, for this rule.
      if (compiled.condition.needs.twin) devices.forget(tenant);
      await seed(compiled);
    }
    reindex();
  }

  return {
    /** Loads the rules and their saved state, then follows the platform's signals. */
    async start(): Promise<void> {
      for (const r of await deps.rules.listAll()) {
        const c = compile(r);
        if (c) install(c);
      }
      reindex();
      const saved = await deps.states.loadAll();
      for (const row of saved) {
        const r = rules.get(row.tenant)?.get(row.rule);
        if (!r || r.version !== row.version) continue;
        const s = states.restore(row);
        if (r.condition.needs.ticks) wheel.schedule(s, { r, s, device: row.device }, 0);
      }
      for (const byName of rules.values()) for (const r of byName.values()) await seed(r);
      bus.subscribe('rules', 'telemetry', (t) => feed(t.tenant, t.device, telemetrySignals(t)));
      bus.subscribe('rules', 'twin', (t) => feed(t.tenant, t.device, [twinSignal(t)]));
      bus.subscribe('rules', 'device-status', (s) =>
        feed(s.tenant, s.device, [{ kind: 'status', status: s.status, ts: s.ts }]),
      );
      bus.subscribe('rules', 'rule-changed', (c) => {
        reload(c.tenant, c.name).catch((err: unknown) => log.error({ err, ...c }, 'reloading a rule failed'));
      });
      bus.subscribe('rules', 'registry', (change) => {
        if (change.kind === 'device-updated' || change.kind === 'device-deleted')
          devices.forget(change.tenant, change.device);
        if (change.kind !== 'device-deleted' && change.kind !== 'tenant-deleted') return;
        const device = change.kind === 'device-deleted' ? change.device : undefined;
        states.dropDevice(change.tenant, device);
        if (device === undefined) rules.delete(change.tenant);
        reindex();
        deps.states
          .delete(change.tenant, device === undefined ? {} : { device })
          .catch((err: unknown) => log.error({ err }, 'deleting rule state failed'));
      });
      ticker = setInterval(tick, 1000);
      ticker.unref();
      snapshots.start();
    },
    /** Rules loaded, for the log and tests. */
    get size(): number {
      let n = 0;
      for (const byName of rules.values()) n += byName.size;
      return n;
    },
    async stop(): Promise<void> {
      clearInterval(ticker);
      bus.unsubscribeAll('rules');
      await snapshots.stop();
    },
  };
}
