import { DeviceSdkError, TransientError } from './errors.js';
import type { OutMessage } from './link.js';
import { type BatchLimits, OfflineBuffer, type Queued } from './offline-buffer.js';

/** One message waiting for its acknowledgement, with the promise of the call that made it. */
export interface Pending<E = unknown> extends Queued {
  readonly entry: E;
  resolve(): void;
  reject(err: Error): void;
}

export interface OutboxStats {
  sent: number;
  acked: number;
  dropped: number;
}

/** Payloads in flight at once: enough to keep the pipe full, few to resend after a drop. */
const MAX_IN_FLIGHT = 16;

/**
 * Sends queued messages over the current link in order, several payloads in
 * flight, batches while catching up; on a lost link the in-flight ones go
 * back to the front of the buffer (their callbacks from the dead connection
 * are ignored, by generation), so nothing acknowledged is sent twice on
 * purpose and nothing unacknowledged is lost.
 */
export class Outbox {
  readonly #buffer: OfflineBuffer<Pending>;
  readonly #limits: BatchLimits;
  readonly #encode: (items: readonly Pending[]) => OutMessage;
  readonly #onError: (err: Error) => void;
  readonly stats: OutboxStats = { sent: 0, acked: 0, dropped: 0 };
  #send: ((m: OutMessage) => Promise<void>) | undefined;
  #inFlight: Pending[][] = [];
  #generation = 0;
  #pausedUntil = 0;
  #resume: NodeJS.Timeout | undefined;
  #idle: (() => void)[] = [];

  constructor(opts: {
    limit: number;
    limits: BatchLimits;
    encode: (items: readonly Pending[]) => OutMessage;
    /** Reports a refused message that had no caller waiting (results). */
    onError: (err: Error) => void;
  }) {
    this.#buffer = new OfflineBuffer(opts.limit);
    this.#limits = opts.limits;
    this.#encode = opts.encode;
    this.#onError = opts.onError;
  }

  /** Waiting plus in flight: everything not yet acknowledged. */
  get pending(): number {
    return this.#buffer.length + this.#inFlight.reduce((n, b) => n + b.length, 0);
  }

  add(item: Pending): void {
    this.#dropped(this.#buffer.push(item));
    this.#pump();
  }

  /** A link is up: send through it. */
  up(send: (m: OutMessage) => Promise<void>): void {
    this.#generation++;
    this.#send = send;
    this.#pump();
  }

  /** The link is gone: what was in flight waits again, first in line. */
  down(): void {
    this.#generation++;
    this.#send = undefined;
    const back = this.#inFlight.flat();
    this.#inFlight = [];
    this.#dropped(this.#buffer.unshift(back));
  }

  /** Resolves when nothing is waiting or in flight, or after `ms`; returns whether it emptied. */
  drained(ms: number): Promise<boolean> {
    if (this.pending === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(this.pending === 0), ms);
      this.#idle.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Fails everything still pending (close). */
  failAll(err: Error): void {
    this.down();
    clearTimeout(this.#resume);
    for (const p of this.#buffer.drain()) p.reject(err);
  }

  #dropped(items: readonly Pending[]): void {
    for (const p of items) {
      this.stats.dropped++;
      p.reject(
        new DeviceSdkError('DROPPED', `offline buffer full: the oldest ${p.kind} made room for a newer one`),
      );
    }
  }

  #pump(): void {
    const send = this.#send;
    if (!send || Date.now() < this.#pausedUntil) return;
    while (this.#inFlight.length < MAX_IN_FLIGHT && this.#buffer.length > 0) {
      const batch = this.#buffer.take(this.#limits);
      let message: OutMessage;
      try {
        message = this.#encode(batch);
      } catch (err) {
        // Cannot happen for validated entries; fail them rather than block the queue.
        for (const p of batch) p.reject(err as Error);
        continue;
      }
      this.#inFlight.push(batch);
      this.stats.sent += batch.length;
      const generation = this.#generation;
      send(message).then(
        () => this.#settled(generation, batch),
        (err: unknown) => this.#settled(generation, batch, err as Error),
      );
    }
  }

  #settled(generation: number, batch: Pending[], err?: Error): void {
    if (generation !== this.#generation) return; // from a connection already given up: requeued
    if (err instanceof TransientError && err.linkDown) return; // the link's `down` requeues it, in order
    this.#inFlight = this.#inFlight.filter((b) => b !== batch);
    if (err instanceof TransientError) {
      // Storage busy: the batch waits first in line and sending pauses as asked.
      this.#dropped(this.#buffer.unshift(batch));
      this.#pausedUntil = Date.now() + (err.retryAfterMs ?? 1000);
      clearTimeout(this.#resume);
      this.#resume = setTimeout(() => this.#pump(), err.retryAfterMs ?? 1000);
      this.#resume.unref();
      return;
    }
    if (err) {
      const refused =
        err instanceof DeviceSdkError ? err : new DeviceSdkError('REJECTED', err.message, { cause: err });
      for (const p of batch) p.reject(refused);
      if (batch[0]?.kind === 'result') this.#onError(refused);
    } else {
      this.stats.acked += batch.length;
      for (const p of batch) p.resolve();
    }
    if (this.pending === 0) for (const wake of this.#idle.splice(0)) wake();
    this.#pump();
  }
}
