import { Counter, type Registry } from 'prom-client';
import type { Bus, RuleTransition } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import { PlexusError } from '../core/errors.js';
import { randomId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { RegistryService } from '../registry/index.js';
import type { AlarmActorNote, AlarmQuery, AlarmStore } from '../store/alarms.js';
import type { Page } from '../store/index.js';
import { AlarmErrors } from './errors.js';
import {
  type Alarm,
  type AlarmComment,
  type AlarmCounts,
  alarmMessage,
  dedupKey,
  isSeverity,
} from './model.js';

export interface AlarmDeps {
  readonly store: AlarmStore;
  readonly registry: RegistryService;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Registry;
}

export type AlarmService = ReturnType<typeof createAlarmService>;

/** Type of the alarm raised when a rule action fails for good (not cleared automatically). */
export const ACTION_FAILED = 'action-failed';

/** Longest comment, in characters (the REST schema says the same). */
export const MAX_COMMENT = 2000;

function checkText(text: unknown, path: string): string {
  if (typeof text !== 'string' || text.trim().length === 0 || text.length > MAX_COMMENT) {
    const message = `must be 1-${MAX_COMMENT} characters of text`;
    throw new PlexusError(AlarmErrors.INVALID, `${path.split('/').pop()} ${message}`, {
      errors: [{ path, message }],
    });
  }
  return text;
}

/**
 * Alarms (issue #6): raised and cleared by the rule engine's transitions,
 * acknowledged, cleared and commented by operators. Every change goes out
 * on the bus as `alarm` for the live stream.
 */
export function createAlarmService(deps: AlarmDeps) {
  const { store, registry, bus, clock } = deps;
  const log = deps.log.child({ part: 'alarms' });
  const raised = new Counter({
    name: 'plexus_alarms_raised_total',
    help: 'Alarms raised (new, not repeats of an open alarm), by severity.',
    labelNames: ['severity'],
    registers: [deps.metrics],
  });
  /**
   * Per dedup key, transitions are applied one after another: a "stopped"
   * that arrives while its "fired" is still being stored must clear the
   * alarm that firing opens, not find nothing and leave it active.
   */
  const chains = new Map<string, Promise<void>>();

  function announce(a: Alarm, ts: number): void {
    bus.publish('alarm', {
      tenant: a.tenant,
      device: a.device,
      id: a.id,
      type: a.type,
      severity: a.severity,
      status: a.status,
      ts,
    });
  }

  function serial(key: string, work: () => Promise<void>): Promise<void> {
    const next = (chains.get(key) ?? Promise.resolve())
      .then(work)
      .catch((err: unknown) => log.error({ err, key }, 'applying a rule transition failed'))
      .finally(() => {
        if (chains.get(key) === next) chains.delete(key);
      });
    chains.set(key, next);
    return next;
  }

  async function onTransition(t: RuleTransition): Promise<void> {
    const spec = t.alarm;
    if (!spec) return;
    const key = dedupKey(t.rule, t.device, spec.type);
    const rule = `rule:${t.rule}`;
    if (!t.firing) {
      if (!spec.autoClear) return;
      // The signal time: the alarm says when the condition stopped, also for a replayed backlog.
      const a = await store.clearOpen(t.tenant, key, { at: t.ts, by: rule });
      if (a) announce(a, t.ts);
      return;
    }
    if (!isSeverity(spec.severity)) {
      log.warn({ tenant: t.tenant, rule: t.rule, severity: spec.severity }, 'alarm with unknown severity');
      return;
    }
    // A transition racing the device's deletion must not leave an alarm nobody can reach.
    if (!(await registry.findDevice(t.tenant, t.device))) return;
    const { alarm, created } = await store.raise(randomId('alm', 8), {
      tenant: t.tenant,
      device: t.device,
      rule: t.rule,
      type: spec.type,
      severity: spec.severity,
      message: alarmMessage(t),
      dedupKey: key,
      details: {
        version: t.version,
        ...(t.key === undefined ? {} : { key: t.key }),
        ...(t.value === undefined ? {} : { value: t.value }),
      },
      at: t.ts,
    });
    if (created) raised.inc({ severity: alarm.severity });
    announce(alarm, t.ts);
  }

  async function require(tenant: string, id: string): Promise<Alarm> {
    const a = await store.get(tenant, id);
    if (!a) throw new PlexusError(AlarmErrors.NOT_FOUND, `alarm ${id} does not exist`);
    return a;
  }

  const cleared = (id: string) => new PlexusError(AlarmErrors.CLEARED, `alarm ${id} is already cleared`);

  function noteOf(actor: string, comment: string | undefined): AlarmActorNote {
    return {
      at: clock.now(),
      by: actor,
      ...(comment === undefined ? {} : { comment: checkText(comment, '/body/comment') }),
    };
  }

  /**
   * Someone is on it. Acknowledging an acknowledged alarm changes nothing
   * (the first acknowledgement stands) but keeps the comment.
   */
  async function acknowledge(tenant: string, id: string, actor: string, comment?: string): Promise<Alarm> {
    const note = noteOf(actor, comment);
    const current = await require(tenant, id);
    if (current.status === 'cleared') throw cleared(id);
    const a = current.status === 'active' ? await store.acknowledge(tenant, id, note) : undefined;
    if (a) {
      announce(a, note.at);
      return a;
    }
    // Already acknowledged (before, or meanwhile by someone else), or cleared meanwhile.
    const now = await require(tenant, id);
    if (now.status === 'cleared') throw cleared(id);
    if (note.comment !== undefined) {
      await store.comment(tenant, id, { at: note.at, author: actor, text: note.comment });
      announce(now, note.at);
    }
    return now;
  }

  bus.subscribe('alarms', 'rule-transition', (t) => {
    if (!t.alarm) return;
    void serial(`${t.tenant}\u0000${dedupKey(t.rule, t.device, t.alarm.type)}`, () => onTransition(t));
  });
  // A rule action that gave up is a problem someone must look at (the receiver is down or refuses).
  bus.subscribe('alarms', 'action-failed', (f) => {
    const key = dedupKey(f.rule, f.device, ACTION_FAILED);
    void serial(`${f.tenant}\u0000${key}`, async () => {
      if (!(await registry.findDevice(f.tenant, f.device))) return;
      const { alarm, created } = await store.raise(randomId('alm', 8), {
        tenant: f.tenant,
        device: f.device,
        rule: f.rule,
        type: ACTION_FAILED,
        severity: 'major',
        message: `${f.kind} action of rule ${f.rule} failed after ${f.attempts} attempt${f.attempts === 1 ? '' : 's'}: ${f.error}`,
        dedupKey: key,
        details: { action: f.id, kind: f.kind, attempts: f.attempts, error: f.error },
        at: f.ts,
      });
      if (created) raised.inc({ severity: alarm.severity });
      announce(alarm, f.ts);
    });
  });
  bus.subscribe('alarms', 'registry', (change) => {
    if (change.kind !== 'device-deleted' && change.kind !== 'tenant-deleted') return;
    const device = change.kind === 'device-deleted' ? change.device : undefined;
    store.delete(change.tenant, device).catch((err: unknown) => log.error({ err }, 'deleting alarms failed'));
  });

  return {
    get: require,
    list: (tenant: string, q: AlarmQuery): Promise<Page<Alarm>> => store.list(tenant, q),
    /** The tenant's counts, or one device's (404 for an unknown device). */
    async counts(tenant: string, device?: string): Promise<AlarmCounts> {
      if (device !== undefined) await registry.getDevice(tenant, device);
      return store.counts(tenant, device);
    },
    acknowledge,
    /** Ends the alarm; the rule's next firing opens a new one. */
    async clear(tenant: string, id: string, actor: string, comment?: string): Promise<Alarm> {
      const note = noteOf(actor, comment);
      await require(tenant, id);
      const a = await store.clear(tenant, id, note);
      if (!a) throw cleared(id);
      announce(a, note.at);
      return a;
    },
    /** Adds a note to the alarm's history (also to a cleared alarm: post-mortems). */
    async comment(tenant: string, id: string, actor: string, text: string): Promise<AlarmComment> {
      const c: AlarmComment = { at: clock.now(), author: actor, text: checkText(text, '/body/text') };
      const a = await require(tenant, id);
      await store.comment(tenant, id, c);
      announce(a, c.at);
      return c;
    },
    /** The alarm's comments, oldest first. */
    async comments(tenant: string, id: string): Promise<AlarmComment[]> {
      await require(tenant, id);
      return store.comments(tenant, id);
    },
    /** Resolves when the transitions received so far are applied (tests, shutdown). */
    async settled(): Promise<void> {
      while (chains.size > 0) await Promise.all([...chains.values()]);
    },
    stop(): void {
      bus.unsubscribeAll('alarms');
    },
  };
}
