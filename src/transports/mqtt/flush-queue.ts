/** Something with buffered output to send in one go. */
export interface Flushable {
  flush(): void;
}

/**
 * Output batching across connections: packets written during one turn of
 * the event loop are sent once, after every ready socket has been read
 * (setImmediate runs after the poll phase). A subscriber fed by many
 * publishers then gets one write per turn instead of one per publisher,
 * which on loopback halves the broker's syscall time at high rates.
 */
export class FlushQueue {
  readonly #pending = new Set<Flushable>();
  #scheduled = false;

  add(target: Flushable): void {
    this.#pending.add(target);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#run);
  }

  readonly #run = (): void => {
    this.#scheduled = false;
    // A flush can queue more output (a close writes DISCONNECT); it waits for the next turn.
    const batch = [...this.#pending];
    this.#pending.clear();
    for (const t of batch) t.flush();
  };
}
