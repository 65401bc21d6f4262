import type { Command, CommandStatus } from '../commands/model.js';
import type { Page, PageQuery } from './page.js';

export interface CommandQuery extends PageQuery {
  readonly device?: string;
  readonly status?: CommandStatus;
  readonly batch?: string;
}

/** A group send: which devices, and the per-device commands it created. */
export interface CommandBatch {
  readonly id: string;
  readonly tenant: string;
  readonly name: string;
  /** How the devices were chosen, as asked (group, profile, labels). */
  readonly target: Record<string, unknown>;
  readonly total: number;
  readonly createdAt: number;
  readonly actor: string;
}

/**
 * Durable commands (ARCHITECTURE §7): a command waits here for its device
 * (also across restarts) and every status change is a compare-and-set on
 * the status it leaves, so a late answer cannot revive a finished command.
 */
export interface CommandStore {
  insert(commands: readonly Command[], batch?: CommandBatch): Promise<void>;
  get(tenant: string, id: string): Promise<Command | undefined>;
  /** Newest first. */
  list(tenant: string, q: CommandQuery): Promise<Page<Command>>;
  /** A device's queued commands, oldest first (delivery order). */
  queued(tenant: string, device: string, limit: number): Promise<Command[]>;
  /** Moves a command from one of `from` to `to` with `fields`; undefined when it was not in `from`. */
  transition(
    tenant: string,
    id: string,
    from: readonly CommandStatus[],
    to: CommandStatus,
    fields?: Partial<Pick<Command, 'sentAt' | 'deliveredAt' | 'completedAt' | 'result' | 'error'>>,
  ): Promise<Command | undefined>;
  /** Expires queued commands past their ttl and times out unanswered ones; returns what changed. */
  sweep(now: number): Promise<Command[]>;
  getBatch(tenant: string, id: string): Promise<CommandBatch | undefined>;
  /** Commands of a batch per status. */
  batchCounts(tenant: string, id: string): Promise<Partial<Record<CommandStatus, number>>>;
  /** Deletes one device's commands, or the whole tenant's. */
  delete(tenant: string, device?: string): Promise<void>;
}
