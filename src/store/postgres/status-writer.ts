import type { Queryable } from './database.js';
import { statement } from './statement.js';

type Row = readonly [tenant: string, id: string, status: string, lastSeen: string];

interface Batch {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function batch(): Batch {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

// One statement for the whole batch: the arrays are its rows.
const UPDATE = statement(`UPDATE devices AS d SET status = u.status, last_seen = u.last_seen
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(tenant, id, status, last_seen)
  WHERE d.tenant = u.tenant AND d.id = u.id`);

/**
 * Online/offline changes as one UPDATE per batch (src/store/sqlite/status-writer.ts
 * explains why: a reconnecting fleet is thousands of changes a second).
 * One batch is written at a time: changes made while it is in flight
 * gather into the next, so the batch grows with the round-trip time and a
 * device's later change can never overtake its earlier one. Each call
 * resolves once its change is committed; the last change of a device in
 * a batch wins, as it would have in order.
 */
export class PgStatusWriter {
  readonly #db: Queryable;
  readonly #pending = new Map<string, Row>();
  /** Collects `#pending`; settles with its write. */
  #next: Batch | undefined;
  #inFlight: Promise<void> | undefined;

  constructor(db: Queryable) {
    this.#db = db;
  }

  set(tenant: string, id: string, status: string, lastSeen: string): Promise<void> {
    this.#pending.set(`${tenant}\u0000${id}`, [tenant, id, status, lastSeen]);
    if (!this.#next) {
      this.#next = batch();
      if (this.#inFlight === undefined) setImmediate(() => this.#write());
    }
    return this.#next.promise;
  }

  /** Resolves once every change made so far is written (before the pool closes). */
  async flush(): Promise<void> {
    while (this.#inFlight !== undefined || this.#next !== undefined) {
      if (this.#inFlight === undefined) this.#write();
      await this.#inFlight?.catch(() => undefined);
    }
  }

  #write(): void {
    const b = this.#next;
    if (b === undefined || this.#inFlight !== undefined) return;
    this.#next = undefined;
    // Sorted: nodes writing overlapping batches lock rows in the same order (no deadlock).
    const rows = [...this.#pending.values()].sort((x, y) =>
      x[0] === y[0] ? (x[1] < y[1] ? -1 : 1) : x[0] < y[0] ? -1 : 1,
    );
    this.#pending.clear();
    const values = [0, 1, 2, 3].map((i) => rows.map((r) => r[i]));
    this.#inFlight = this.#db
      .query(UPDATE(values))
      .then(
        () => b.resolve(),
        (err: unknown) => b.reject(err),
      )
      .finally(() => {
        this.#inFlight = undefined;
        this.#write();
      });
  }
}
