/**
 * Runs writes in call order per key. SQLite applies a caller's
 * fire-and-forget writes one after another; on a pool two writes sent in a
 * row may run on two connections and commit the other way round (a
 * session's snapshot deleting the message appended after it, a retained
 * message cleared and then set again). Writes on different keys still run
 * side by side. A write on several keys waits for each of them.
 */
export class KeyedOrder {
  readonly #tails = new Map<string, Promise<void>>();

  run<T>(keys: readonly string[], write: () => Promise<T>): Promise<T> {
    const before: Promise<void>[] = [];
    for (const k of new Set(keys)) {
      const t = this.#tails.get(k);
      if (t !== undefined) before.push(t);
    }
    const result = before.length === 0 ? write() : Promise.all(before).then(write);
    // The next write waits for this one to settle, whether or not it succeeded.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    for (const k of keys) this.#tails.set(k, tail);
    void tail.then(() => {
      for (const k of keys) if (this.#tails.get(k) === tail) this.#tails.delete(k);
    });
    return result;
  }

  /** Resolves once every write started so far has settled (before the pool closes). */
  async settled(): Promise<void> {
    while (this.#tails.size > 0) await Promise.all(this.#tails.values());
  }
}
