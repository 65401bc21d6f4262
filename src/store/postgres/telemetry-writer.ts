import type { Logger } from '../../core/logger.js';
import type { PurgeRule, TelemetryWriter, WriteBatch } from '../telemetry.js';
import { inTransaction, type PgPool } from './database.js';
import { PartitionCache } from './telemetry-partitions.js';
import { forget, longestRetention, purge, type RetentionHorizon } from './telemetry-retention.js';
import { SeriesIds } from './telemetry-series.js';
import { writeGroup } from './telemetry-write.js';

const DAY = 86_400_000;

export interface PgTelemetryWriterOptions {
  /** Points and events one transaction carries at most. */
  readonly groupPoints?: number;
  /** Transactions in flight at once, each on its own connection (keep below the pool size). */
  readonly inFlight?: number;
  /** Days of partitions kept created ahead of today. */
  readonly aheadDays?: number;
  /**
   * false trades durability for speed: `synchronous_commit = off` for the
   * writer's transactions, so a server crash may lose the last acknowledged
   * ones (about 3 × wal_writer_delay). Default true: acknowledged is durable.
   */
  readonly synchronousCommit?: boolean;
  /** The longest retention in use (see telemetry-retention.ts); default from the profiles table. */
  readonly horizon?: (now: number) => Promise<RetentionHorizon | undefined>;
  readonly now?: () => number;
}

interface Waiting {
  readonly batch: WriteBatch;
  readonly resolve: (stored: boolean[]) => void;
  readonly reject: (err: Error) => void;
  /** Settles with the write, never rejects. */
  readonly done: Promise<void>;
}

/**
 * The PostgreSQL telemetry writer (ARCHITECTURE §7). write() resolves once
 * its data is committed: PostgreSQL's WAL is the journal, so a kill -9
 * loses nothing acknowledged. Writes of one event-loop turn, and whatever
 * queues while `inFlight` transactions run, share one transaction (group
 * commit, up to `groupPoints`); several run at once on separate
 * connections, which keeps the server busy during another's fsync. Their
 * order does not matter: rollups and newest values merge by timestamp, and
 * a duplicate racing its original waits on the primary key and is skipped.
 */
export class PgTelemetryWriter implements TelemetryWriter {
  readonly #pool: PgPool;
  readonly #log: Logger;
  readonly #groupPoints: number;
  readonly #inFlight: number;
  readonly #aheadDays: number;
  readonly #synchronousCommit: boolean;
  readonly #horizon: (now: number) => Promise<RetentionHorizon | undefined>;
  readonly #now: () => number;
  readonly #series = new SeriesIds();
  readonly #partitions: PartitionCache;
  #queue: Waiting[] = [];
  readonly #running = new Set<Promise<void>>();
  #scheduled = false;
  #paused = false;
  #ops: Promise<unknown> = Promise.resolve();
  #backlog = 0;
  #timer: NodeJS.Timeout | undefined;
  #closing = false;

  constructor(pool: PgPool, log: Logger, opts: PgTelemetryWriterOptions = {}) {
    this.#pool = pool;
    this.#log = log;
    this.#groupPoints = opts.groupPoints ?? 20_000;
    this.#inFlight = opts.inFlight ?? 2;
    this.#aheadDays = opts.aheadDays ?? 7;
    this.#synchronousCommit = opts.synchronousCommit ?? true;
    this.#horizon = opts.horizon ?? ((now) => longestRetention(pool, now));
    this.#now = opts.now ?? Date.now;
    this.#partitions = new PartitionCache(pool);
  }

  /** Creates the partitions from yesterday to `aheadDays` ahead, and again every hour. */
  async start(): Promise<void> {
    await this.#createAhead();
    this.#timer = setInterval(() => {
      this.#createAhead().catch((err: unknown) =>
        this.#log.error({ err }, 'telemetry: creating partitions failed'),
      );
    }, 3_600_000);
    this.#timer.unref();
  }

  get backlog(): number {
    return this.#backlog;
  }

  write(batch: WriteBatch): Promise<boolean[]> {
    if (this.#closing) return Promise.reject(new Error('telemetry writer is closed'));
    if (batch.points.length === 0 && batch.events.length === 0) return Promise.resolve([]);
    let resolve!: (stored: boolean[]) => void;
    let reject!: (err: Error) => void;
    const written = new Promise<boolean[]>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.#queue.push({ batch, resolve, reject, done: written.then(noop, noop) });
    this.#backlog += batch.points.length + batch.events.length;
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#dispatch();
      });
    }
    return written;
  }

  /** Resolves when everything written before the call is committed (or failed). */
  settled(): Promise<void> {
    this.#dispatch();
    const waits = [...this.#queue.map((w) => w.done), ...this.#running];
    return waits.length === 0 ? Promise.resolve() : Promise.all(waits).then(noop);
  }

  purge(rules: readonly PurgeRule[]): Promise<number> {
    return this.#exclusive(async () =>
      purge(this.#pool, this.#partitions, rules, await this.#horizon(this.#now())),
    );
  }

  forget(tenant: string, device?: string): Promise<void> {
    return this.#exclusive(async () => {
      await inTransaction(this.#pool, (c) => forget(c, tenant, device));
      this.#series.forget(tenant, device);
    });
  }

  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#timer);
    await this.#ops.catch(noop);
    await this.settled();
  }

  /** Starts transactions while slots are free: each takes the queue's head, up to groupPoints. */
  #dispatch(): void {
    while (!this.#paused && this.#running.size < this.#inFlight && this.#queue.length > 0) {
      let size = 0;
      let n = 0;
      for (const w of this.#queue) {
        const s = w.batch.points.length + w.batch.events.length;
        if (n > 0 && size + s > this.#groupPoints) break;
        size += s;
        n++;
      }
      const taken = this.#queue.splice(0, n);
      const run = this.#commit(taken, size).finally(() => {
        this.#running.delete(run);
        this.#dispatch();
      });
      this.#running.add(run);
    }
  }

  async #commit(taken: Waiting[], size: number): Promise<void> {
    const ctx = {
      pool: this.#pool,
      series: this.#series,
      partitions: this.#partitions,
      synchronousCommit: this.#synchronousCommit,
    };
    let stored: Uint8Array;
    try {
      stored = await writeGroup(
        ctx,
        taken.map((w) => w.batch),
      );
    } catch (err) {
      // Nothing of the group is stored (one transaction): its callers may retry.
      this.#backlog -= size;
      this.#log.error({ err }, 'telemetry: writing to the database failed');
      for (const w of taken) w.reject(err as Error);
      return;
    }
    // Out of the backlog before the answers: a caller writing again at once counts anew.
    this.#backlog -= size;
    let at = 0;
    for (const w of taken) {
      const n = w.batch.points.length;
      const flags: boolean[] = new Array(n);
      for (let i = 0; i < n; i++) flags[i] = stored[at + i] === 1;
      at += n;
      w.resolve(flags);
    }
  }

  /**
   * Runs a purge or forget alone: what was written before it is committed
   * first, no transaction of the writer runs beside it (a forgotten
   * series' cached id must not be used meanwhile), and writes made during
   * it wait.
   */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#ops.catch(noop).then(async () => {
      await this.settled();
      this.#paused = true;
      try {
        await Promise.all(this.#running);
        return await fn();
      } finally {
        this.#paused = false;
        this.#dispatch();
      }
    });
    this.#ops = run;
    return run;
  }

  async #createAhead(): Promise<void> {
    const now = this.#now();
    await this.#partitions.ensureRange(now - DAY, now + this.#aheadDays * DAY);
  }
}

function noop(): void {}
