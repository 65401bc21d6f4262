import { Counter, type Registry } from 'prom-client';
import type { Bus, RuleTransition } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import { randomId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import { type EngineRule, render, renderJson, type TemplateVariable } from '../rules/index.js';
import type { OutboxItem, OutboxStore } from '../store/index.js';
import { type ActionPorts, execute } from './execute.js';
import { isPermanent } from './permanent.js';

export interface ActionDeps {
  readonly outbox: OutboxStore;
  /** The rule as it is now (its actions and throttle). */
  readonly rule: (tenant: string, name: string) => Promise<EngineRule | undefined>;
  readonly ports: ActionPorts;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Registry;
  /** Attempts before an action fails for good (actions.maxAttempts; default MAX_ATTEMPTS). */
  readonly maxAttempts?: number;
}

export type ActionService = ReturnType<typeof createActionService>;

/** Attempts before an action fails for good; the waits double from 1 s to at most 10 min. */
export const MAX_ATTEMPTS = 10;
const backoff = (attempts: number) => Math.min(600_000, 1000 * 2 ** attempts);
const POLL_MS = 250;
/** Actions carried out at once; each is independent, so a slow receiver holds only its own. */
const CONCURRENCY = 32;

/** Fills a rule action's templates for one firing (URL, secret and kind stay as written). */
export function renderAction(
  action: Record<string, unknown>,
  vars: Partial<Record<TemplateVariable, unknown>>,
) {
  const out: Record<string, unknown> = { ...action };
  for (const field of ['body', 'headers', 'params', 'desired', 'payload']) {
    if (out[field] !== undefined) out[field] = renderJson(out[field], vars);
  }
  for (const field of ['topic', 'subject', 'text']) {
    if (typeof out[field] === 'string') out[field] = render(out[field] as string, vars);
  }
  if (out.type === 'webhook' && out.body === undefined) {
    out.body = {
      rule: vars.rule,
      device: vars.device,
      tenant: vars.tenant,
      key: vars.key ?? null,
      value: vars.value ?? null,
      ts: vars.ts,
      time: vars.time,
      severity: vars.severity ?? null,
      alarm: vars.alarm ?? null,
    };
  }
  return out;
}

/**
 * Rule actions through the durable outbox (issue #6): on a rule
 * transition, the rule's actions for it (`on`: fire, clear or both; fire
 * actions at most once per `throttle` per device) are rendered and stored
 * first, then carried out by a worker that retries failures with backoff
 * and marks them failed after `maxAttempts` (at once when retrying cannot
 * help), announcing `action-failed` (the alarm service raises an alarm). A
 * slow endpoint holds only its own item: ingest, the rule engine and other
 * actions never wait for it.
 */
export function createActionService(deps: ActionDeps) {
  const { outbox, bus, clock } = deps;
  const log = deps.log.child({ part: 'actions' });
  const outcomes = new Counter({
    name: 'plexus_actions_total',
    help: 'Rule actions by result: queued, throttled, done, retried, failed.',
    labelNames: ['kind', 'result'],
    registers: [deps.metrics],
  });
  const maxAttempts = deps.maxAttempts ?? MAX_ATTEMPTS;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  /** work() was called during a pass: the pass looks at the outbox once more before it ends. */
  let again = false;
  /**
   * The outbox may hold due items not yet started: set by a new item and by the poll (retries
   * come due), cleared when a look found fewer than it asked for. A finished item then starts
   * the next pass without a query when nothing can be waiting: a firing's webhook cost four
   * outbox reads on the main thread, now one.
   */
  let mayHoldDue = true;
  /** Bumped with mayHoldDue: a look that overlapped a new item must not clear the flag. */
  let news = 0;
  let stopping = false;
  /** Outbox item id → its attempt in progress. */
  const active = new Map<string, Promise<void>>();

  async function enqueue(t: RuleTransition): Promise<void> {
    const rule = await deps.rule(t.tenant, t.rule);
    if (!rule) return;
    const on = t.firing ? 'fire' : 'clear';
    const actions = rule.spec.actions.filter((a) => (a.on ?? 'fire') === on || a.on === 'both');
    if (actions.length === 0) return;
    const now = clock.now();
    if (t.firing && rule.spec.throttleMs > 0) {
      const last = await outbox.lastQueued(t.tenant, t.rule, t.device);
      if (last !== undefined && now - last < rule.spec.throttleMs) {
        for (const a of actions) outcomes.inc({ kind: String(a.type), result: 'throttled' });
        return;
      }
    }
    const vars: Partial<Record<TemplateVariable, unknown>> = {
      device: t.device,
      rule: t.rule,
      tenant: t.tenant,
      ts: t.ts,
      time: new Date(t.ts).toISOString(),
      ...(t.key === undefined ? {} : { key: t.key }),
      ...(t.value === undefined ? {} : { value: t.value }),
      ...(t.alarm ? { severity: t.alarm.severity, alarm: t.alarm.type } : {}),
    };
    const items: OutboxItem[] = actions.map((a) => ({
      id: randomId('act', 8),
      tenant: t.tenant,
      rule: t.rule,
      device: t.device,
      kind: String(a.type),
      action: renderAction(a, vars),
      status: 'pending',
      attempts: 0,
      createdAt: now,
      nextAt: now,
    }));
    await outbox.add(items);
    for (const i of items) outcomes.inc({ kind: i.kind, result: 'queued' });
    mayHoldDue = true;
    news++;
    void work();
  }

  async function attempt(item: OutboxItem): Promise<void> {
    try {
      await execute(item, deps.ports);
      await outbox.done(item.id, clock.now());
      outcomes.inc({ kind: item.kind, result: 'done' });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const attempts = item.attempts + 1;
      const last = attempts >= maxAttempts || isPermanent(err);
      await outbox.failed(item.id, reason, last ? undefined : clock.now() + backoff(item.attempts));
      outcomes.inc({ kind: item.kind, result: last ? 'failed' : 'retried' });
      const where = {
        id: item.id,
        rule: item.rule,
        device: item.device,
        kind: item.kind,
        attempts,
        err: reason,
      };
      if (!last) {
        log.warn(where, 'rule action failed; will retry');
        return;
      }
      log.error(where, 'rule action failed for good');
      bus.publish('action-failed', {
        tenant: item.tenant,
        device: item.device,
        rule: item.rule,
        id: item.id,
        kind: item.kind,
        attempts,
        error: reason,
        ts: clock.now(),
      });
    }
  }

  /**
   * Starts what is due, up to CONCURRENCY at once; each finished item
   * starts the next pass, so one slow receiver never holds the others.
   */
  async function work(): Promise<void> {
    if (stopping) return;
    if (running) {
      // A pass is under way, but its last look at the outbox may predate this call's item.
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        while (active.size < CONCURRENCY && mayHoldDue) {
          // Asking for more than are active guarantees the page holds due items not yet started.
          const limit = CONCURRENCY + active.size;
          const before = news;
          const page = await outbox.due(clock.now(), limit);
          // A short page is everything due: until a new item or the poll, there is nothing to look for.
          if (page.length < limit && news === before) mayHoldDue = false;
          const due = page.filter((i) => !active.has(i.id));
          if (due.length === 0) break;
          for (const item of due.slice(0, CONCURRENCY - active.size)) {
            const p = attempt(item)
              .catch((err: unknown) => log.error({ err, id: item.id }, 'outbox item could not be updated'))
              .finally(() => {
                active.delete(item.id);
                void work();
              });
            active.set(item.id, p);
          }
        }
      } while (again && active.size < CONCURRENCY);
    } catch (err) {
      log.error({ err }, 'outbox pass failed');
    } finally {
      running = false;
    }
  }

  return {
    /** Follows rule transitions and starts the worker (items left from before a restart included). */
    start(): void {
      bus.subscribe('actions', 'rule-transition', (t) => {
        enqueue(t).catch((err: unknown) =>
          log.error({ err, rule: t.rule, device: t.device }, 'queuing actions failed'),
        );
      });
      timer = setInterval(() => {
        mayHoldDue = true;
        news++;
        void work();
      }, POLL_MS);
      timer.unref();
    },
    list: (tenant: string, q: { status?: string; rule?: string; limit: number }) => outbox.list(tenant, q),
    async stop(): Promise<void> {
      stopping = true;
      bus.unsubscribeAll('actions');
      if (timer) clearInterval(timer);
      await Promise.all([...active.values()]);
    },
  };
}
