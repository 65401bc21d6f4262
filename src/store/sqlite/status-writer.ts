import type { Prepare, SqliteDb } from './database.js';

/**
 * Online/offline changes, written in one transaction per event-loop turn:
 * a fleet reconnecting after an outage is thousands of status changes a
 * second, and one commit each made them the costliest part of a connect.
 * Each call resolves once its change is committed; the last change of a
 * device in a batch wins, as it would have in order.
 */
export class StatusWriter {
  readonly #pending = new Map<string, [string, string, string, string]>();
  #batch: { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void } | undefined;
  readonly #write: (rows: Iterable<[string, string, string, string]>) => void;

  constructor(db: SqliteDb, prepare: Prepare) {
    this.#write = db.transaction((rows: Iterable<[string, string, string, string]>) => {
      const stmt = prepare('UPDATE devices SET status = ?, last_seen = ? WHERE tenant = ? AND id = ?');
      for (const r of rows) stmt.run(...r);
    });
  }

  set(tenant: string, id: string, status: string, lastSeen: string): Promise<void> {
    this.#pending.set(`${tenant}\u0000${id}`, [status, lastSeen, tenant, id]);
    if (!this.#batch) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.#batch = { promise, resolve, reject };
      setImmediate(() => this.#flush());
    }
    return this.#batch.promise;
  }

  /** Writes what is pending now (before the database closes). */
  flush(): void {
    if (this.#batch) this.#flush();
  }

  #flush(): void {
    const batch = this.#batch;
    if (!batch) return;
    this.#batch = undefined;
    const rows = [...this.#pending.values()];
    this.#pending.clear();
    try {
      this.#write(rows);
      batch.resolve();
    } catch (err) {
      batch.reject(err);
    }
  }
}
