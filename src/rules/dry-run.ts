import type { Clock } from '../core/clock.js';
import { parseTime } from '../core/duration.js';
import { PlexusError } from '../core/errors.js';
import type { RegistryService } from '../registry/index.js';
import type { TelemetryStore } from '../store/index.js';
import { type Condition, parseCondition, type Signal } from './conditions/index.js';
import { RuleErrors } from './errors.js';
import type { TwinNow } from './known-devices.js';
import { type Firing, replay } from './replay.js';
import { parseRule, type RuleSpec } from './spec.js';
import { targetedDevices } from './target-devices.js';

export interface DryRunDeps {
  readonly registry: Pick<RegistryService, 'findDevice' | 'listDevices'>;
  readonly telemetry: Pick<TelemetryStore, 'raw' | 'events' | 'keys'>;
  readonly twin?: (tenant: string, device: string) => Promise<TwinNow | undefined>;
  readonly clock: Clock;
}

export interface DryRunInput {
  /** Epoch ms or ISO 8601 (default: 24 h before `to`). */
  readonly from?: unknown;
  /** Epoch ms or ISO 8601 (default: now). */
  readonly to?: unknown;
  /** Only these of the targeted devices (default: every targeted device, up to MAX_DEVICES). */
  readonly devices?: unknown;
}

export interface DryRunResult {
  readonly rule: string;
  readonly from: number;
  readonly to: number;
  /** Resolution of time-driven conditions (`for`, inactivity, tumbling windows). */
  readonly tickMs: number;
  readonly devices: number;
  readonly points: number;
  readonly events: number;
  /** Firings, oldest first, at most MAX_FIRINGS of them (`total` counts all). */
  readonly firings: Firing[];
  readonly total: number;
  /** The run stopped early (MAX_DEVICES devices or MAX_POINTS points read): later data was not replayed. */
  readonly truncated: boolean;
  /** What a dry run cannot know, for this rule. */
  readonly notes: string[];
}

const DAY = 86_400_000;
export const MAX_RANGE_MS = 31 * DAY;
export const MAX_DEVICES = 1000;
export const MAX_POINTS = 2_000_000;
const MAX_FIRINGS = 1000;
/** About this many engine ticks per device over the range (at least one a second, as live). */
const TICKS = 5000;
const PAGE = 10_000;

/** Keeps the MAX_FIRINGS oldest firings, oldest first. */
function keepOldest(firings: Firing[]): void {
  firings.sort((a, b) => a.at - b.at || a.device.localeCompare(b.device));
  firings.length = Math.min(firings.length, MAX_FIRINGS);
}

const bad = (path: string, message: string) =>
  new PlexusError(RuleErrors.INVALID, `dry run: ${path.slice('/body/'.length)} ${message}`, {
    errors: [{ path, message }],
  });

function time(raw: unknown, path: string): number | undefined {
  if (raw === undefined) return undefined;
  const t = typeof raw === 'number' ? raw : typeof raw === 'string' ? parseTime(raw) : undefined;
  if (t === undefined || !Number.isSafeInteger(t)) throw bad(path, 'must be epoch ms or an ISO 8601 time');
  return t;
}

/**
 * Dry run (issue #6): a rule (saved or not) replayed against stored
 * history, to see when it would have fired before enabling it. The same
 * condition code as live, the same throttle; engine ticks at `tickMs`.
 * Reads are bounded (devices, points, range) so a dry run cannot hold the
 * server; the answer says when it stopped early.
 */
export function createDryRun(deps: DryRunDeps) {
  async function signalsOf(
    tenant: string,
    device: string,
    needs: { keys: readonly string[]; events?: boolean; twin?: boolean },
    range: { from: number; to: number },
    budget: { points: number },
  ): Promise<{ signals: Signal[]; points: number; events: number }> {
    const signals: Signal[] = [];
    let points = 0;
    let events = 0;
    const keys = needs.keys.includes('*') ? await deps.telemetry.keys(tenant, device) : needs.keys;
    for (const key of keys) {
      let after: number | undefined;
      for (;;) {
        const limit = Math.min(PAGE, budget.points);
        if (limit <= 0) break;
        const rows = await deps.telemetry.raw({
          tenant,
          device,
          key,
          from: range.from,
          to: range.to,
          limit,
          ...(after === undefined ? {} : { after }),
        });
        for (const r of rows) signals.push({ kind: 'point', key, ts: r.ts, value: r.value });
        points += rows.length;
        budget.points -= rows.length;
        if (rows.length < limit) break;
        after = (rows[rows.length - 1] as { ts: number }).ts;
      }
    }
    if (needs.events || needs.keys.includes('*')) {
      let before: { ts: number; id: number } | undefined;
      for (;;) {
        const limit = Math.min(PAGE, budget.points);
        if (limit <= 0) break;
        const rows = await deps.telemetry.events({
          tenant,
          device,
          from: range.from,
          to: range.to,
          limit,
          ...(before === undefined ? {} : { before }),
        });
        for (const e of rows) signals.push({ kind: 'event', type: e.type, ts: e.ts, data: e.data });
        events += rows.length;
        budget.points -= rows.length;
        if (rows.length < limit) break;
        const last = rows[rows.length - 1] as { ts: number; id: number };
        before = { ts: last.ts, id: last.id };
      }
    }
    signals.sort((a, b) => a.ts - b.ts);
    if (needs.twin && deps.twin) {
      const twin = await deps.twin(tenant, device);
      if (twin) signals.unshift({ kind: 'twin', ts: range.from, ...twin });
    }
    return { signals, points, events };
  }

  /** Replays `doc` (a rule document, checked as when saved: problems at /body/rule/...) over the range. */
  function runDocument(tenant: string, doc: unknown, input: DryRunInput): Promise<DryRunResult> {
    const { rule, condition, problems } = parseRule(doc);
    if (!rule || !condition) {
      const errors = problems.map((p) => ({ path: `/body/rule${p.path}`, message: p.message }));
      const first = errors[0] as { path: string; message: string };
      throw new PlexusError(
        RuleErrors.INVALID,
        `dry run: the rule is not valid: ${first.path} ${first.message}`,
        {
          errors,
        },
      );
    }
    return run(tenant, rule, condition, input);
  }

  /** Replays a saved rule (enabled or not). */
  function runSaved(tenant: string, rule: RuleSpec, input: DryRunInput): Promise<DryRunResult> {
    const { condition } = parseCondition(rule.condition);
    if (!condition) throw new Error(`saved rule ${rule.name} does not compile`);
    return run(tenant, rule, condition, input);
  }

  async function run(
    tenant: string,
    rule: RuleSpec,
    condition: Condition,
    input: DryRunInput,
  ): Promise<DryRunResult> {
    const to = time(input.to, '/body/to') ?? deps.clock.now();
    const from = time(input.from, '/body/from') ?? to - DAY;
    if (from >= to) throw bad('/body/from', 'must be before to');
    if (to - from > MAX_RANGE_MS)
      throw bad('/body/from', 'is more than 31 days before to: replay a shorter range');
    let only: Set<string> | undefined;
    if (input.devices !== undefined) {
      if (
        !Array.isArray(input.devices) ||
        input.devices.length === 0 ||
        input.devices.length > MAX_DEVICES ||
        !input.devices.every((d) => typeof d === 'string')
      ) {
        throw bad('/body/devices', `must be a list of 1 to ${MAX_DEVICES} device ids`);
      }
      only = new Set(input.devices as string[]);
    }
    const tickMs = Math.max(1000, Math.ceil((to - from) / TICKS / 1000) * 1000);
    const needs = condition.needs;
    const notes: string[] = [];
    if (needs.status) notes.push('connection history is not kept: status conditions never hold in a dry run');
    if (needs.twin) notes.push('twin history is not kept: twin values are the current ones');
    if (needs.ticks) notes.push(`time-driven conditions are checked every ${tickMs / 1000} s`);

    const firings: Firing[] = [];
    let total = 0;
    let devices = 0;
    let points = 0;
    let events = 0;
    let truncated = false;
    const budget = { points: MAX_POINTS };
    const target = only ? { ...rule.target, devices: [...only] } : rule.target;
    for await (const d of targetedDevices(deps.registry, tenant, target)) {
      if (only && rule.target.devices && !rule.target.devices.includes(d.id)) continue;
      if (devices === MAX_DEVICES || budget.points <= 0) {
        truncated = true;
        break;
      }
      devices++;
      const s = await signalsOf(tenant, d.id, needs, { from, to }, budget);
      points += s.points;
      events += s.events;
      if (budget.points <= 0) truncated = true;
      const found = replay(condition, d.id, s.signals, { from, to, tickMs, throttleMs: rule.throttleMs });
      total += found.length;
      firings.push(...found);
      if (firings.length > 10 * MAX_FIRINGS) keepOldest(firings);
    }
    keepOldest(firings);
    return { rule: rule.name, from, to, tickMs, devices, points, events, firings, total, truncated, notes };
  }

  return { runDocument, runSaved };
}

export type DryRun = ReturnType<typeof createDryRun>;
