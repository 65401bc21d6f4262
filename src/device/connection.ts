import { backoffDelay } from './backoff.js';
import { DeviceSdkError } from './errors.js';
import type { Link } from './link.js';
import type { ResolvedOptions } from './options.js';

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

export interface ConnectionHooks {
  /** A connection is up (the first or a reconnection). */
  up(): void;
  /** The connection was lost. */
  down(err: Error): void;
  /** A failed attempt or a fatal refusal, for error listeners. */
  error(err: Error): void;
}

const DEADLINE = Symbol('deadline');

/**
 * The connection's life: attempts with full-jitter backoff until one
 * succeeds, reconnection after a drop (never giving up), no retries after
 * the credentials were refused (retrying would only count as failed logins
 * and get the address banned), and a deadline for connect() alone.
 */
export class Connection {
  readonly #link: Link;
  readonly #o: ResolvedOptions;
  readonly #hooks: ConnectionHooks;
  #state: ConnectionState = 'idle';
  #connecting: Promise<void> | undefined;
  #attempt = 0;
  #retry: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;

  constructor(link: Link, options: ResolvedOptions, hooks: ConnectionHooks) {
    this.#link = link;
    this.#o = options;
    this.#hooks = hooks;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Resolves when connected; see PlexusDevice.connect(). */
  connect(): Promise<void> {
    if (this.#state === 'closed')
      return Promise.reject(new DeviceSdkError('CLOSED', 'the device was closed'));
    if (this.#state === 'connected') return Promise.resolve();
    const timeout = this.#o.connectTimeoutMs;
    return this.#start(timeout === undefined ? undefined : Date.now() + timeout, false);
  }

  /** The link reports its connection gone. */
  lost(err: Error): void {
    if (this.#state !== 'connected') return;
    this.#state = 'disconnected';
    this.#hooks.down(err);
    if (err instanceof DeviceSdkError && err.code === 'AUTH_FAILED') {
      // The credentials were revoked or the device disabled while connected.
      this.#state = 'failed';
      this.#hooks.error(err);
      return;
    }
    this.#start(undefined, true).catch((e: unknown) => this.#hooks.error(e as Error));
  }

  /** No more attempts; a connect() waiting between attempts rejects with CLOSED. */
  close(): void {
    this.#state = 'closed';
    clearTimeout(this.#retry);
    this.#wake?.();
  }

  #start(deadline: number | undefined, waitFirst: boolean): Promise<void> {
    this.#connecting ??= this.#loop(deadline, waitFirst).finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  #closed(): DeviceSdkError {
    return new DeviceSdkError('CLOSED', 'the device was closed while connecting');
  }

  #unreachable(): DeviceSdkError {
    this.#state = 'idle';
    return new DeviceSdkError(
      'UNREACHABLE',
      `no connection to ${this.#o.url.host} within ${this.#o.connectTimeoutMs} ms`,
    );
  }

  /** Attempts until connected; `deadline` only for connect() (reconnecting after a drop never gives up). */
  async #loop(deadline: number | undefined, waitFirst: boolean): Promise<void> {
    clearTimeout(this.#retry);
    this.#state = 'connecting';
    // After a drop the first attempt waits too, so a fleet that lost its broker does not return in lockstep.
    if (waitFirst) await this.#pause(backoffDelay(this.#attempt++, this.#o.reconnect, Math.random));
    for (;;) {
      if (this.#state !== 'connecting') throw this.#closed();
      let err: unknown;
      try {
        await withDeadline(this.#link.open(), deadline, () => void this.#link.close());
      } catch (e) {
        err = e;
      }
      if (this.#state !== 'connecting') {
        if (err === undefined) await this.#link.close();
        throw this.#closed();
      }
      if (err === undefined) {
        this.#state = 'connected';
        this.#attempt = 0;
        this.#hooks.up();
        return;
      }
      if (err instanceof DeviceSdkError && err.code === 'AUTH_FAILED') {
        this.#state = 'failed';
        throw err;
      }
      if (err === DEADLINE) throw this.#unreachable();
      this.#hooks.error(err as Error);
      const delay = backoffDelay(this.#attempt++, this.#o.reconnect, Math.random);
      await this.#pause(deadline === undefined ? delay : Math.min(delay, Math.max(0, deadline - Date.now())));
      if (deadline !== undefined && Date.now() >= deadline && this.#state === 'connecting') {
        throw this.#unreachable();
      }
    }
  }

  /** Waits between attempts; close() ends the wait early (#wake) so connect() settles. */
  #pause(ms: number): Promise<void> {
    return new Promise<void>((r) => {
      this.#wake = r;
      this.#retry = setTimeout(r, ms);
    });
  }
}

/** The promise, or DEADLINE thrown at the deadline (after `onTimeout` aborts the attempt). */
function withDeadline<T>(p: Promise<T>, deadline: number | undefined, onTimeout: () => void): Promise<T> {
  if (deadline === undefined) return p;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => {
        onTimeout();
        reject(DEADLINE);
      },
      Math.max(0, deadline - Date.now()),
    );
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
