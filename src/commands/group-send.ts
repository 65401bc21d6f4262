import { PlexusError } from '../core/errors.js';
import { randomId } from '../core/ids.js';
import type { RegistryService } from '../registry/index.js';
import type { CommandBatch, CommandStore, DeviceFilter, Page } from '../store/index.js';
import { CommandErrors } from './errors.js';
import type { Command, CommandStatus } from './model.js';
import type { CommandTarget } from './validate.js';

/** Devices per group send: beyond this, split by label or profile. */
export const MAX_BATCH_DEVICES = 10_000;
/** Commands offered per second by a group send unless it asks otherwise. */
export const DEFAULT_BATCH_RATE = 100;

export interface BatchSummary {
  readonly id: string;
  readonly name: string;
  readonly target: Record<string, unknown>;
  readonly total: number;
  readonly createdAt: number;
  /** Commands per status. */
  readonly counts: Partial<Record<CommandStatus, number>>;
}

/** The devices a group send reaches: all given parts of the target must match; 404 for an unknown group. */
export async function devicesOf(
  registry: RegistryService,
  tenant: string,
  target: CommandTarget,
): Promise<string[]> {
  if (target.group !== undefined) await registry.getGroup(tenant, target.group);
  const filter: DeviceFilter = {
    ...(target.group === undefined ? {} : { group: target.group }),
    ...(target.profile === undefined ? {} : { profile: target.profile }),
    ...(target.labels === undefined ? {} : { labels: target.labels }),
  };
  const out: string[] = [];
  let after: string | undefined;
  do {
    const page: Page<{ id: string }> = await registry.listDevices(tenant, filter, {
      limit: 1000,
      ...(after === undefined ? {} : { after }),
    });
    for (const d of page.items) out.push(d.id);
    after = page.nextAfter;
    if (out.length > MAX_BATCH_DEVICES) {
      throw new PlexusError(
        CommandErrors.TOO_MANY_DEVICES,
        `more than ${MAX_BATCH_DEVICES} devices match; narrow the target (labels, profile)`,
      );
    }
  } while (after !== undefined);
  return out;
}

/** One command per device, all of one batch. */
export function planBatch(
  base: Omit<Command, 'id' | 'tenant' | 'device' | 'actor'>,
  who: { tenant: string; target: CommandTarget; actor: string; now: number },
  devices: readonly string[],
): { batch: CommandBatch; commands: Command[] } {
  const batch: CommandBatch = {
    id: randomId('batch', 8),
    tenant: who.tenant,
    name: base.name,
    target: { ...who.target },
    total: devices.length,
    createdAt: who.now,
    actor: who.actor,
  };
  const commands = devices.map(
    (device): Command => ({
      ...base,
      id: randomId('cmd', 8),
      tenant: who.tenant,
      device,
      actor: who.actor,
      batch: batch.id,
    }),
  );
  return { batch, commands };
}

/** Offers the devices' commands in slices of a tenth of a second, so a large fleet is not hit at once. */
export function paceOffers(
  devices: readonly string[],
  ratePerSecond: number,
  offer: (device: string) => void,
  timers: Set<NodeJS.Timeout>,
): void {
  const perTick = Math.max(1, Math.ceil(ratePerSecond / 10));
  let next = 0;
  const tick = () => {
    for (const device of devices.slice(next, next + perTick)) offer(device);
    next += perTick;
    if (next >= devices.length) {
      clearInterval(timer);
      timers.delete(timer);
    }
  };
  const timer = setInterval(tick, 100);
  timer.unref();
  timers.add(timer);
  tick();
}

export async function batchSummary(store: CommandStore, tenant: string, id: string): Promise<BatchSummary> {
  const b = await store.getBatch(tenant, id);
  if (!b) throw new PlexusError(CommandErrors.NOT_FOUND, `group send ${id} does not exist`);
  return {
    id: b.id,
    name: b.name,
    target: b.target,
    total: b.total,
    createdAt: b.createdAt,
    counts: await store.batchCounts(tenant, id),
  };
}
