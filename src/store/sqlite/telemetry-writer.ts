import { Worker } from 'node:worker_threads';
import type { Logger } from '../../core/logger.js';
import type {
  EventRow,
  PointRow,
  PurgeRule,
  TelemetryWriter,
  WriteBatch,
  WriteResult,
} from '../telemetry.js';
import { packPoints } from './telemetry-pack.js';
import type { WorkerReply, WorkerRequest } from './telemetry-worker.js';

/** Points per transaction: large enough to amortise the commit, small enough to keep it short (ms). */
const MAX_BATCH_POINTS = 5_000;

interface Waiting {
  readonly batch: WriteBatch;
  readonly resolve: (stored: boolean[]) => void;
  readonly reject: (err: Error) => void;
}

type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/**
 * Group commit into SQLite through a worker thread: writes arriving while a
 * transaction runs wait and go together in the next one (at most
 * MAX_BATCH_POINTS each), so under load one commit carries thousands of
 * points and at rest a single point is committed at once. Every caller's
 * promise settles with the transaction that carried its batch.
 */
export class SqliteTelemetryWriter implements TelemetryWriter {
  readonly #dataDir: string;
  readonly #log: Logger;
  #worker: Worker | undefined;
  #nextId = 1;
  readonly #calls = new Map<number, { resolve: (v: unknown) => void; reject: (err: Error) => void }>();
  #queue: Waiting[] = [];
  #backlog = 0;
  #writing = false;
  #scheduled = false;
  #closed = false;

  constructor(dataDir: string, log: Logger) {
    this.#dataDir = dataDir;
    this.#log = log;
  }

  get backlog(): number {
    return this.#backlog;
  }

  write(batch: WriteBatch): Promise<boolean[]> {
    if (this.#closed) return Promise.reject(new Error('telemetry writer is closed'));
    if (batch.points.length === 0 && batch.events.length === 0) return Promise.resolve([]);
    return new Promise<boolean[]>((resolve, reject) => {
      this.#queue.push({ batch, resolve, reject });
      this.#backlog += batch.points.length + batch.events.length;
      this.#schedule();
    });
  }

  purge(rules: readonly PurgeRule[]): Promise<number> {
    return this.#call({ op: 'purge', rules }) as Promise<number>;
  }

  async forget(tenant: string, device?: string): Promise<void> {
    await this.#call(device === undefined ? { op: 'forget', tenant } : { op: 'forget', tenant, device });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#writing || this.#queue.length > 0) {
      if (!this.#writing) this.#dispatch();
      await new Promise((r) => setImmediate(r));
    }
    const w = this.#worker;
    if (!w) return;
    await this.#call({ op: 'close' }).catch(() => undefined);
    await w.terminate();
    this.#worker = undefined;
  }

  /** Collects the writes of this turn of the event loop before committing. */
  #schedule(): void {
    if (this.#scheduled || this.#writing) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#dispatch();
    });
  }

  #dispatch(): void {
    if (this.#writing || this.#queue.length === 0) return;
    const taken: Waiting[] = [];
    const points: PointRow[] = [];
    const events: EventRow[] = [];
    while (
      this.#queue.length > 0 &&
      (taken.length === 0 || points.length + events.length < MAX_BATCH_POINTS)
    ) {
      const w = this.#queue.shift() as Waiting;
      taken.push(w);
      for (const p of w.batch.points) points.push(p);
      for (const e of w.batch.events) events.push(e);
    }
    this.#writing = true;
    const size = points.length + events.length;
    this.#call({ op: 'write', batch: { points: packPoints(points), events } })
      .then(
        (result) => {
          // Hand each caller the flags of its own points (they were concatenated in order).
          const { stored } = result as WriteResult;
          let at = 0;
          for (const w of taken) {
            const n = w.batch.points.length;
            const flags: boolean[] = new Array(n);
            for (let i = 0; i < n; i++) flags[i] = stored[at + i] === 1;
            at += n;
            w.resolve(flags);
          }
        },
        (err: Error) => {
          for (const w of taken) w.reject(err);
        },
      )
      .finally(() => {
        this.#backlog -= size;
        this.#writing = false;
        if (this.#queue.length > 0) this.#dispatch();
      });
  }

  #call(req: Request): Promise<unknown> {
    const worker = this.#ensureWorker();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#calls.set(id, { resolve, reject });
      worker.postMessage({ ...req, id } as WorkerRequest);
    });
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL('./telemetry-worker.js', import.meta.url), {
      workerData: { dataDir: this.#dataDir },
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
