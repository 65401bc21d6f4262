import type { Registry } from 'prom-client';
import type { Bus, CommandDelivery } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import { Downlink, type Uplink, type UplinkOutcome } from '../core/envelope.js';
import { PlexusError } from '../core/errors.js';
import { randomId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { RegistryService } from '../registry/index.js';
import type { AuditEntry } from '../security/index.js';
import type { CommandQuery, CommandStore, Page } from '../store/index.js';
import { CommandErrors } from './errors.js';
import {
  type BatchSummary,
  batchSummary,
  DEFAULT_BATCH_RATE,
  devicesOf,
  paceOffers,
  planBatch,
} from './group-send.js';
import { createCommandMetrics } from './metrics.js';
import { type Command, type CommandStatus, commandDoc, isOpen, parseResult } from './model.js';
import { type CommandInput, type CommandTarget, validateCommand } from './validate.js';

export interface CommandDeps {
  readonly store: CommandStore;
  readonly registry: RegistryService;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Registry;
  /**
   * Records a command sent by the platform itself (rules, rollouts). REST
   * calls are recorded by the API's audit hook and say so with `audited`.
   */
  readonly audit: (entry: AuditEntry) => Promise<void>;
}

/** How a caller reaches the service. */
export interface SendOptions {
  /** Already in the audit log (the REST API records its own calls). */
  readonly audited?: boolean;
}

export type CommandService = ReturnType<typeof createCommandService>;
export type { BatchSummary } from './group-send.js';
export type { CommandInput, CommandTarget } from './validate.js';

const FINAL_FOR_ONE_WAY: CommandStatus = 'delivered';

/**
 * Commands (ARCHITECTURE §2, §6.1): one service for operators, rules and
 * rollouts. A command is stored as `queued` first, then offered to the
 * device as a `command` downlink; the transport that holds the device says
 * whether it went out (`command-delivery`), otherwise it waits, durably and
 * in order, until the device is `ready` again, or until its time-to-live
 * ends. Answers arrive as `command-result` uplinks. A sweep each second
 * expires and times out what is due (also after a restart).
 */
export function createCommandService(deps: CommandDeps) {
  const { store, registry, bus, clock } = deps;
  const log = deps.log.child({ part: 'commands' });
  const metrics = createCommandMetrics(deps.metrics);
  /** Per device: offers run one after another, so queued commands go out in order. */
  const chains = new Map<string, Promise<void>>();
  /** Offered and not yet answered by the transport (avoids offering twice). */
  const offered = new Set<string>();
  const waiters = new Map<string, Set<(c: Command) => void>>();
  let sweeper: NodeJS.Timeout | undefined;
  const pacers = new Set<NodeJS.Timeout>();

  function announce(c: Command): void {
    metrics.statuses.inc({ status: c.status });
    bus.publish('command', {
      tenant: c.tenant,
      device: c.device,
      id: c.id,
      name: c.name,
      status: c.status,
      ts: clock.now(),
      ...(c.result === undefined ? {} : { result: c.result }),
      ...(c.error === undefined ? {} : { error: c.error }),
    });
    if (isFinal(c)) {
      const set = waiters.get(c.id);
      if (set) for (const w of [...set]) w(c);
    }
  }

  const isFinal = (c: Command) => !isOpen(c.status) || (c.oneWay && c.status === FINAL_FOR_ONE_WAY);

  /** Offers the device's queued commands, oldest first, unless already offered. */
  function offer(tenant: string, device: string): Promise<void> {
    const key = `${tenant}\u0000${device}`;
    const next = (chains.get(key) ?? Promise.resolve())
      .then(async () => {
        const now = clock.now();
        for (const c of await store.queued(tenant, device, 1000)) {
          if (offered.has(c.id) || c.expiresAt <= now) continue;
          offered.add(c.id);
          // The transport answers synchronously on the bus (sent / unreachable).
          bus.publish(
            'downlink',
            Downlink.create({
              kind: 'command',
              tenant,
              device,
              ts: now,
              data: { ...commandDoc(c), expiresAt: c.expiresAt },
            }),
          );
        }
      })
      .catch((err: unknown) => log.error({ err, tenant, device }, 'offering commands failed'))
      .finally(() => {
        if (chains.get(key) === next) chains.delete(key);
      });
    chains.set(key, next);
    return next;
  }

  async function move(
    tenant: string,
    id: string,
    from: readonly CommandStatus[],
    to: CommandStatus,
    fields: Parameters<CommandStore['transition']>[4] = {},
  ): Promise<Command | undefined> {
    const c = await store.transition(tenant, id, from, to, fields);
    if (c) announce(c);
    return c;
  }

  async function onDelivery(d: CommandDelivery): Promise<void> {
    if (d.kind === 'ready') return offer(d.tenant, d.device);
    const now = clock.now();
    if (d.kind === 'unreachable') {
      offered.delete(d.id);
      return;
    }
    if (d.kind === 'refused') {
      await move(d.tenant, d.id, ['queued', 'sent'], 'failed', {
        sentAt: now,
        completedAt: now,
        error: d.reason,
      });
      offered.delete(d.id);
      return;
    }
    if (d.kind === 'sent') {
      await move(d.tenant, d.id, ['queued'], 'sent', { sentAt: now });
      offered.delete(d.id);
      return;
    }
    const current = await store.get(d.tenant, d.id);
    if (!current) return;
    await move(d.tenant, d.id, ['queued', 'sent'], 'delivered', {
      sentAt: current.sentAt ?? now,
      deliveredAt: now,
      ...(current.oneWay ? { completedAt: now } : {}),
    });
    offered.delete(d.id);
  }

  /** A device's answer (MQTT or HTTP uplink of kind `command-result`). */
  async function onResult(u: Uplink): Promise<UplinkOutcome> {
    const { id, doc } = u.data as { id: string; doc: unknown };
    const refuse = (reason: string): UplinkOutcome => {
      log.debug({ tenant: u.tenant, device: u.device, id, reason }, 'command result refused');
      metrics.results.inc({ result: 'refused' });
      return { accepted: 0, rejected: [{ reason }] };
    };
    const parsed = parseResult(doc);
    if ('problem' in parsed) return refuse(parsed.problem);
    const c = await store.get(u.tenant, id);
    // Another device's command reads as unknown: ids of other devices are not confirmed.
    if (!c || c.device !== u.device) return refuse(`no command ${id} for this device`);
    if (!isOpen(c.status) || (c.oneWay && c.status === 'delivered')) {
      return refuse(`command ${id} is already ${c.status}`);
    }
    const now = clock.now();
    const moved = await move(
      u.tenant,
      id,
      ['queued', 'sent', 'delivered'],
      parsed.ok ? 'succeeded' : 'failed',
      {
        sentAt: c.sentAt ?? now,
        deliveredAt: c.deliveredAt ?? now,
        completedAt: now,
        ...(parsed.ok ? { result: parsed.result } : { error: parsed.error }),
      },
    );
    if (!moved) return refuse(`command ${id} finished meanwhile`);
    offered.delete(id);
    metrics.results.inc({ result: 'accepted' });
    return { accepted: 1, rejected: [] };
  }

  async function sweep(): Promise<void> {
    for (const c of await store.sweep(clock.now())) {
      offered.delete(c.id);
      announce(c);
    }
  }

  async function record(
    tenant: string,
    actor: string,
    action: string,
    id: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    await deps.audit({
      tenant,
      actor,
      action,
      resource: 'command',
      resourceId: id,
      status: 201,
      ip: null,
      details,
    });
  }

  async function require(tenant: string, id: string): Promise<Command> {
    const c = await store.get(tenant, id);
    if (!c) throw new PlexusError(CommandErrors.NOT_FOUND, `command ${id} does not exist`);
    return c;
  }

  bus.subscribe('commands', 'command-delivery', (d) => {
    onDelivery(d).catch((err: unknown) => log.error({ err }, 'command delivery update failed'));
  });
  bus.subscribe('commands', 'uplink', (u) => {
    if (u.kind !== 'command-result') return;
    onResult(u).then(
      (outcome) => u.ack?.(outcome),
      (err: unknown) => {
        log.error({ err }, 'storing a command result failed');
        u.ack?.({
          accepted: 0,
          rejected: [],
          error: { code: CommandErrors.STORE_FAILED.code, message: 'the result could not be stored; retry' },
        });
      },
    );
  });
  bus.subscribe('commands', 'registry', (change) => {
    if (change.kind !== 'device-deleted' && change.kind !== 'tenant-deleted') return;
    const device = change.kind === 'device-deleted' ? change.device : undefined;
    store
      .delete(change.tenant, device)
      .catch((err: unknown) => log.error({ err }, 'deleting commands failed'));
  });

  return {
    /** Queues a command for one device and offers it at once; 404 for an unknown device. */
    async send(
      tenant: string,
      device: string,
      input: CommandInput,
      actor: string,
      opts: SendOptions = {},
    ): Promise<Command> {
      await registry.getDevice(tenant, device);
      const c: Command = {
        ...validateCommand(input, clock.now()),
        id: randomId('cmd', 8),
        tenant,
        device,
        actor,
      };
      await store.insert([c]);
      if (!opts.audited)
        await record(c.tenant, actor, 'command.create', c.id, { device, name: c.name, params: c.params });
      announce(c);
      await offer(tenant, device);
      return (await store.get(tenant, c.id)) ?? c;
    },
    /**
     * One command per matching device (a group, a profile, labels), created
     * at once and offered at `ratePerSecond` so a large fleet is not hit all
     * at the same moment. Returns the batch with each device's command.
     */
    async sendToMany(
      tenant: string,
      target: CommandTarget,
      input: CommandInput,
      actor: string,
      ratePerSecond = DEFAULT_BATCH_RATE,
      opts: SendOptions = {},
    ): Promise<{
      id: string;
      total: number;
      items: { device: string; commandId: string; status: CommandStatus }[];
    }> {
      const now = clock.now();
      const base = validateCommand(input, now);
      const devices = await devicesOf(registry, tenant, target);
      if (devices.length === 0)
        throw new PlexusError(CommandErrors.NO_DEVICES, 'no device matches the target');
      const { batch, commands } = planBatch(base, { tenant, target, actor, now }, devices);
      await store.insert(commands, batch);
      if (!opts.audited)
        await record(tenant, actor, 'command.group-send', batch.id, {
          target: batch.target,
          name: base.name,
        });
      for (const c of commands) announce(c);
      paceOffers(devices, ratePerSecond, (device) => void offer(tenant, device), pacers);
      return {
        id: batch.id,
        total: commands.length,
        items: commands.map((c) => ({ device: c.device, commandId: c.id, status: c.status })),
      };
    },
    get: require,
    list: (tenant: string, q: CommandQuery): Promise<Page<Command>> => store.list(tenant, q),
    batch: (tenant: string, id: string): Promise<BatchSummary> => batchSummary(store, tenant, id),
    /** Cancels an unfinished command (a device that already has it may still act on it). */
    async cancel(tenant: string, id: string): Promise<Command> {
      const c = await require(tenant, id);
      if (isFinal(c)) throw new PlexusError(CommandErrors.FINISHED, `command ${id} is already ${c.status}`);
      const moved = await move(tenant, id, ['queued', 'sent', 'delivered'], 'cancelled', {
        completedAt: clock.now(),
        error: 'cancelled',
      });
      if (!moved) throw new PlexusError(CommandErrors.FINISHED, `command ${id} finished meanwhile`);
      offered.delete(id);
      return moved;
    },
    /** The command once finished, or as it is after `ms`. */
    async wait(tenant: string, id: string, ms: number): Promise<Command> {
      const first = await require(tenant, id);
      if (isFinal(first) || ms <= 0) return first;
      const done = await new Promise<Command | undefined>((resolve) => {
        let set = waiters.get(id);
        if (!set) {
          set = new Set();
          waiters.set(id, set);
        }
        const s = set;
        const finish = (c: Command | undefined) => {
          clearTimeout(timer);
          s.delete(finish);
          if (s.size === 0) waiters.delete(id);
          resolve(c);
        };
        const timer = setTimeout(() => finish(undefined), ms);
        s.add(finish);
      });
      return done ?? require(tenant, id);
    },
    /**
     * For devices that poll over HTTP: their queued commands, oldest first,
     * now `delivered` (the response carries them).
     */
    async takeForDevice(
      tenant: string,
      device: string,
      limit: number,
    ): Promise<ReturnType<typeof commandDoc>[]> {
      const now = clock.now();
      const out: ReturnType<typeof commandDoc>[] = [];
      for (const c of await store.queued(tenant, device, limit)) {
        if (c.expiresAt <= now) continue;
        const moved = await move(tenant, c.id, ['queued'], 'delivered', {
          sentAt: now,
          deliveredAt: now,
          ...(c.oneWay ? { completedAt: now } : {}),
        });
        if (moved) out.push(commandDoc(moved));
      }
      return out;
    },
    /** Starts the once-a-second sweep (expiry, timeouts). */
    start(): void {
      sweeper = setInterval(() => {
        sweep().catch((err: unknown) => log.error({ err }, 'command sweep failed'));
      }, 1000);
      sweeper.unref();
    },
    stop(): void {
      if (sweeper) clearInterval(sweeper);
      for (const t of pacers) clearInterval(t);
      pacers.clear();
      bus.unsubscribeAll('commands');
    },
  };
}
