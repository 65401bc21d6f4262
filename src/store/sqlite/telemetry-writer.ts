import { serialize } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../core/logger.js';
import type { EventRow, PointRow, PurgeRule, TelemetryWriter, WriteBatch } from '../telemetry.js';
import { TelemetryJournal } from './telemetry-journal.js';
import { NewestTimestamps } from './telemetry-newest.js';
import { packPoints } from './telemetry-pack.js';
import type { WorkerReply, WorkerRequest } from './telemetry-worker.js';
import type { PackedBatch } from './telemetry-write.js';

export interface SqliteTelemetryWriterOptions {
  /** Where the journal's segments go (telemetry-journal.ts). */
  readonly journalDir: string;
  /** The first journal seq (after the ones already applied: telemetry-recover.ts). */
  readonly nextSeq: number;
  /** Newest stored ts per key of one device, from the database (for the duplicate check). */
  readonly storedLatest: (tenant: string, device: string) => Map<string, number>;
  /** A transaction waits this long for company unless something needs it sooner (ms). */
  readonly groupMs?: number;
  /**
   * …or until this many points and events are waiting; also the most one
   * transaction carries, and the backlog beyond which answers wait for the
   * commit (flow control). Keep it well below `telemetry.maxBacklog`.
   */
  readonly groupPoints?: number;
  /** The database file in dataDir (tests). */
  readonly file?: string;
}

interface Waiting {
  readonly batch: WriteBatch;
  readonly resolve: (stored: boolean[]) => void;
  readonly reject: (err: Error) => void;
}

/** One event-loop turn's writes of one kind, packed: the unit of the journal and of the queue. */
interface Entry {
  readonly id: number;
  readonly batch: PackedBatch;
  readonly size: number;
  readonly at: number;
  /** Journal record that carries it; its callers were answered when the record was written. */
  seq?: number;
  /** False while its journal record is being written. */
  ready: boolean;
  /** Callers answered only after the commit (points that may be duplicates: see NewestTimestamps). */
  readonly waiters?: Waiting[];
  /** Journaled callers whose answer waits for the commit too: the tables are behind (flow control). */
  held?: Waiting[];
}

type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

const RETRY_MS = 1_000;

/**
 * The SQLite telemetry writer (ARCHITECTURE §7). New data is acknowledged
 * as soon as its journal record is written (one writev() per batch of
 * event-loop turns, about 0.1 ms), and the writer thread commits the journal
 * into the tables in large transactions (`groupMs`, default 100 ms, or
 * `groupPoints`, 50,000, whichever first): a commit's cost grows with the
 * number of series it touches, not points, so few large commits cost a
 * fraction of many small ones, and the acknowledgement does not wait for
 * one unless the tables fall a whole transaction behind.
 *
 * Only points newer than everything stored for their series take that path
 * (a device's normal flow). A point at or before its series' newest stored
 * timestamp may be a duplicate (a QoS 1 redelivery, a device replaying its
 * buffer); its batch waits for a commit, which says per point whether it was
 * new, so a duplicate is never announced twice.
 *
 * Reads see every acknowledged write: the read store calls settled() first,
 * which commits at once what is waiting. Backpressure counts points until
 * they are in the tables.
 */
export class SqliteTelemetryWriter implements TelemetryWriter {
  readonly #dataDir: string;
  readonly #log: Logger;
  readonly #opts: SqliteTelemetryWriterOptions;
  readonly #groupMs: number;
  readonly #groupPoints: number;
  readonly #journal: TelemetryJournal;
  #worker: Worker | undefined;
  #nextCall = 1;
  readonly #calls = new Map<number, { resolve: (v: unknown) => void; reject: (err: Error) => void }>();
  #turnFresh: Waiting[] = [];
  #turnDirect: Waiting[] = [];
  #turnScheduled = false;
  #queue: Entry[] = [];
  #queued = 0;
  #directQueued = 0;
  #lastId = 0;
  #doneId = 0;
  #barriers: { id: number; resolve: () => void }[] = [];
  #backlog = 0;
  #writing = false;
  #timer: NodeJS.Timeout | undefined;
  #retryAt = 0;
  #compactedSeq: number;
  #closing = false;
  #closed = false;
  readonly #newest: NewestTimestamps;

  constructor(dataDir: string, log: Logger, opts: SqliteTelemetryWriterOptions) {
    this.#dataDir = dataDir;
    this.#log = log;
    this.#opts = opts;
    this.#groupMs = opts.groupMs ?? 100;
    this.#groupPoints = opts.groupPoints ?? 50_000;
    this.#compactedSeq = opts.nextSeq - 1;
    this.#journal = new TelemetryJournal(opts.journalDir, opts.nextSeq);
    this.#newest = new NewestTimestamps(opts.storedLatest, () => this.#backlog === 0);
  }

  get backlog(): number {
    return this.#backlog;
  }

  write(batch: WriteBatch): Promise<boolean[]> {
    if (this.#closing) return Promise.reject(new Error('telemetry writer is closed'));
    if (batch.points.length === 0 && batch.events.length === 0) return Promise.resolve([]);
    const fresh = this.#newest.advance(batch.points);
    return new Promise<boolean[]>((resolve, reject) => {
      (fresh ? this.#turnFresh : this.#turnDirect).push({ batch, resolve, reject });
      this.#backlog += batch.points.length + batch.events.length;
      if (!this.#turnScheduled) {
        this.#turnScheduled = true;
        setImmediate(() => this.#endTurn());
      }
    });
  }

  /** Resolves when everything written before the call is in the tables (or its commit failed). */
  settled(): Promise<void> {
    this.#endTurn();
    if (this.#doneId >= this.#lastId) return Promise.resolve();
    return new Promise((resolve) => {
      this.#barriers.push({ id: this.#lastId, resolve });
      this.#dispatch();
    });
  }

  async purge(rules: readonly PurgeRule[]): Promise<number> {
    await this.settled();
    return (await this.#call({ op: 'purge', rules })) as number;
  }

  async forget(tenant: string, device?: string): Promise<void> {
    await this.settled();
    await this.#call(device === undefined ? { op: 'forget', tenant } : { op: 'forget', tenant, device });
    this.#newest.forget(tenant, device);
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#retryAt = 0;
    await this.settled();
    if (this.#queue.length > 0) {
      this.#log.warn(
        { points: this.#queued },
        'telemetry: data not yet in the database stays in the journal and is applied at the next start',
      );
    }
    clearTimeout(this.#timer);
    await this.#journal.close(this.#compactedSeq);
    // What is left is durable in the journal (a failed record was taken out): answer who still waits.
    for (const e of this.#queue) if (e.held && e.ready) answerAll(e.held);
    const w = this.#worker;
    this.#closed = true;
    if (!w) return;
    await this.#call({ op: 'close' }).catch(() => undefined);
    await w.terminate();
    this.#worker = undefined;
  }

  /** Packs this turn's writes: new data into a journal record, possible duplicates into a queue entry. */
  #endTurn(): void {
    this.#turnScheduled = false;
    const fresh = this.#turnFresh;
    const direct = this.#turnDirect;
    if (fresh.length > 0) {
      this.#turnFresh = [];
      this.#journalEntry(fresh);
    }
    if (direct.length > 0) {
      this.#turnDirect = [];
      this.#enqueue(direct, true, direct);
      this.#directQueued++;
    }
    this.#dispatch();
  }

  #enqueue(callers: Waiting[], ready: boolean, waiters?: Waiting[]): Entry {
    const points: PointRow[] = [];
    const events: EventRow[] = [];
    for (const w of callers) {
      for (const p of w.batch.points) points.push(p);
      for (const e of w.batch.events) events.push(e);
    }
    const entry: Entry = {
      id: ++this.#lastId,
      batch: { points: packPoints(points), events },
      size: points.length + events.length,
      at: performance.now(),
      ready,
      ...(waiters ? { waiters } : {}),
    };
    this.#queue.push(entry);
    this.#queued += entry.size;
    return entry;
  }

  #journalEntry(callers: Waiting[]): void {
    // With a transaction's worth already waiting, answering at once would let
    // devices outrun the disk until the backlog limit refuses them; holding
    // the answers until the commit paces them instead, as their windows fill.
    const behind = this.#queued >= this.#groupPoints;
    const entry = this.#enqueue(callers, false);
    if (behind) entry.held = callers;
    let written: Promise<void>;
    try {
      const appended = this.#journal.append(serialize(entry.batch));
      entry.seq = appended.seq;
      written = appended.written;
    } catch (err) {
      written = Promise.reject(err);
    }
    written.then(
      () => {
        entry.ready = true;
        if (!entry.held) answerAll(callers);
        this.#dispatch();
      },
      (err: Error) => {
        this.#log.error({ err }, 'telemetry journal write failed');
        this.#queue = this.#queue.filter((e) => e !== entry);
        this.#queued -= entry.size;
        this.#backlog -= entry.size;
        for (const w of callers) w.reject(err);
        this.#dispatch();
      },
    );
  }

  /** Starts a transaction when one is due: the oldest entry waited groupMs, enough is queued, or someone waits. */
  #dispatch(): void {
    if (this.#writing || this.#closed) return;
    const head = this.#queue[0];
    if (!head) {
      this.#finish(this.#lastId);
      return;
    }
    if (!head.ready) return; // its journal write calls back
    const now = performance.now();
    const urgent =
      this.#closing ||
      this.#barriers.length > 0 ||
      this.#directQueued > 0 ||
      this.#queued >= this.#groupPoints;
    const due = urgent ? now : head.at + this.#groupMs;
    const start = Math.max(due, this.#retryAt);
    if (start > now) {
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#dispatch();
      }, start - now);
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const taken: Entry[] = [];
    let size = 0;
    let seq: number | undefined;
    while (this.#queue.length > 0) {
      const e = this.#queue[0] as Entry;
      if (!e.ready || (taken.length > 0 && size + e.size > this.#groupPoints)) break;
      this.#queue.shift();
      taken.push(e);
      size += e.size;
      if (e.seq !== undefined) seq = e.seq;
      if (e.waiters) this.#directQueued--;
    }
    this.#queued -= size;
    this.#writing = true;
    const lastId = (taken[taken.length - 1] as Entry).id;
    const request: Request =
      seq === undefined
        ? { op: 'write', batches: taken.map((e) => e.batch) }
        : { op: 'write', batches: taken.map((e) => e.batch), seq };
    this.#call(request).then(
      (result) => {
        const stored = result as Uint8Array[];
        taken.forEach((e, i) => {
          if (e.waiters) answer(e.waiters, stored[i] as Uint8Array);
          if (e.held) answerAll(e.held);
        });
        this.#backlog -= size;
        if (seq !== undefined) {
          this.#compactedSeq = seq;
          this.#journal.compactedThrough(seq);
        }
        this.#writing = false;
        this.#finish(lastId);
        this.#dispatch();
      },
      (err: Error) => {
        this.#log.error({ err }, 'telemetry: writing to the database failed');
        // Journaled data was acknowledged: it goes back in front and is retried.
        // The rest was not: its callers get the error.
        const keep = taken.filter((e) => e.seq !== undefined);
        for (const e of taken) {
          if (e.waiters) {
            for (const w of e.waiters) w.reject(err);
            this.#backlog -= e.size;
          }
        }
        this.#queue.unshift(...keep);
        for (const e of keep) this.#queued += e.size;
        this.#retryAt = this.#closing ? 0 : performance.now() + RETRY_MS;
        this.#writing = false;
        this.#finish(lastId);
        if (!this.#closing) this.#dispatch();
      },
    );
  }

  /** Everything up to `id` is done (committed, or failed): release the reads waiting for it. */
  #finish(id: number): void {
    if (id > this.#doneId) this.#doneId = id;
    if (this.#barriers.length === 0) return;
    const still: { id: number; resolve: () => void }[] = [];
    for (const b of this.#barriers) {
      if (b.id <= this.#doneId) b.resolve();
      else still.push(b);
    }
    this.#barriers = still;
  }

  #call(req: Request): Promise<unknown> {
    const worker = this.#ensureWorker();
    const id = this.#nextCall++;
    return new Promise((resolve, reject) => {
      this.#calls.set(id, { resolve, reject });
      worker.postMessage({ ...req, id } as WorkerRequest);
    });
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL('./telemetry-worker.js', import.meta.url), {
      workerData: { dataDir: this.#dataDir, file: this.#opts.file },
    });
    worker.on('message', (reply: WorkerReply) => {
      const call = this.#calls.get(reply.id);
      if (!call) return;
      this.#calls.delete(reply.id);
      if (reply.ok) call.resolve(reply.result);
      else call.reject(new Error(reply.error));
    });
    const fail = (err: Error) => {
      // A dead worker fails what it held; the next write starts a new one.
      if (this.#worker === worker) this.#worker = undefined;
      for (const c of this.#calls.values()) c.reject(err);
      this.#calls.clear();
    };
    worker.on('error', (err) => {
      this.#log.error({ err }, 'telemetry writer thread failed');
      fail(err);
    });
    worker.on('exit', (code) => {
      if (!this.#closed) this.#log.error({ code }, 'telemetry writer thread exited');
      fail(new Error(`telemetry writer thread exited (${code})`));
    });
    this.#worker = worker;
    return worker;
  }
}

/** Journaled points cannot be duplicates (NewestTimestamps): all stored. */
function answerAll(callers: readonly Waiting[]): void {
  for (const w of callers) w.resolve(new Array<boolean>(w.batch.points.length).fill(true));
}

/** Hands each caller the flags of its own points (they were concatenated in order). */
function answer(waiters: readonly Waiting[], stored: Uint8Array): void {
  let at = 0;
  for (const w of waiters) {
    const n = w.batch.points.length;
    const flags: boolean[] = new Array(n);
    for (let i = 0; i < n; i++) flags[i] = stored[at + i] === 1;
    at += n;
    w.resolve(flags);
  }
}
