import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { DeviceSdkError, TransientError } from './errors.js';
import type { IncomingCommand, Link, LinkEvents, OutMessage } from './link.js';
import type { ResolvedOptions } from './options.js';

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Time for an ordinary request; a long poll gets its wait on top. */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The device HTTP API (`/device/v1`, docs/commands.md §4, docs/twins.md §3):
 * POSTs with Basic auth answered after the data is stored, and long polls
 * for commands and desired state. node:http rather than fetch because fetch
 * cannot take a private CA or abort cleanly on every supported Node version.
 * "Connected" means the last request reached the platform.
 */
export class HttpLink implements Link {
  readonly #o: ResolvedOptions;
  readonly #ev: LinkEvents;
  readonly #agent: HttpAgent;
  readonly #auth: string;
  readonly #base: string;
  #open = false;
  #commands = false;
  #desired = false;
  #desiredVersion = 0;
  /** Requests to abort on close or when the link goes down (long polls). */
  readonly #active = new Set<AbortController>();

  constructor(options: ResolvedOptions, events: LinkEvents) {
    this.#o = options;
    this.#ev = events;
    const secure = options.url.protocol === 'https:';
    const tls = options.tls
      ? {
          rejectUnauthorized: options.tls.rejectUnauthorized,
          ...(options.tls.ca === undefined ? {} : { ca: options.tls.ca }),
        }
      : {};
    this.#agent = secure ? new HttpsAgent({ keepAlive: true, ...tls }) : new HttpAgent({ keepAlive: true });
    this.#auth = `Basic ${Buffer.from(`${options.username}:${options.secret}`).toString('base64')}`;
    this.#base = `${options.url.origin}${options.url.pathname.replace(/\/+$/, '')}/device/v1`;
  }

  #request(method: string, path: string, body?: OutMessage, waitMs = 0): Promise<Answer> {
    const ac = new AbortController();
    this.#active.add(ac);
    const url = new URL(this.#base + path);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Answer>((resolve, reject) => {
      const req = send(
        url,
        {
          method,
          agent: this.#agent,
          signal: ac.signal,
          timeout: REQUEST_TIMEOUT_MS + waitMs,
          headers: {
            authorization: this.#auth,
            ...(body ? { 'content-type': body.contentType, 'content-length': body.payload.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer from ${url.host} in time`)));
      req.on('error', (err) =>
        reject(
          new TransientError(`${method} ${url.pathname}: ${err.message}`, { linkDown: true, cause: err }),
        ),
      );
      req.end(body?.payload);
    }).finally(() => this.#active.delete(ac));
  }

  /** The common answers: 401 ends it, 429/503 mean later, other 4xx are refusals. */
  #check(a: Answer, what: string): void {
    if (a.status >= 200 && a.status < 300) return;
    const detail = problemDetail(a.body);
    if (a.status === 401) {
      throw new DeviceSdkError('AUTH_FAILED', `the platform refused ${this.#o.username}: ${detail}`, {
        reasonCode: 401,
      });
    }
    if (a.status === 429 || a.status >= 500) {
      const after = Number(a.headers['retry-after']);
      throw new TransientError(`${what}: HTTP ${a.status} ${detail}`, {
        retryAfterMs: Number.isFinite(after) && after > 0 ? after * 1000 : 1000,
      });
    }
    throw new DeviceSdkError('REJECTED', `${what} refused by the platform: HTTP ${a.status} ${detail}`, {
      reasonCode: a.status,
    });
  }

  async open(): Promise<void> {
    // Reading the desired state checks the credentials and gives the current document.
    const a = await this.#request('GET', '/twin/desired');
    this.#check(a, 'desired state');
    this.#open = true;
    this.#gotDesired(a.body);
    if (this.#commands) void this.#pollCommands();
    if (this.#desired) void this.#pollDesired();
  }

  #gotDesired(body: Buffer): void {
    try {
      const doc = JSON.parse(body.toString('utf8')) as { version?: unknown };
      if (typeof doc.version === 'number') this.#desiredVersion = doc.version;
      this.#ev.desired(doc);
    } catch {
      this.#ev.warn(new Error('desired state is not JSON; ignored'));
    }
  }

  /** The link is gone: stop polling, tell the client once (it reconnects with backoff). */
  #lost(err: Error): void {
    if (!this.#open) return;
    this.#open = false;
    for (const ac of this.#active) ac.abort();
    this.#ev.down(err);
  }

  async #poll(loop: () => Promise<void>): Promise<void> {
    while (this.#open) {
      try {
        await loop();
      } catch (err) {
        if (!this.#open) return;
        if (err instanceof TransientError && !err.linkDown) {
          await new Promise((r) => setTimeout(r, err.retryAfterMs ?? 1000));
          continue;
        }
        this.#lost(err as Error);
        return;
      }
    }
  }

  #pollCommands(): Promise<void> {
    const wait = Math.round(this.#o.pollMs / 1000);
    return this.#poll(async () => {
      const a = await this.#request('GET', `/commands?wait=${wait}`, undefined, this.#o.pollMs);
      this.#check(a, 'commands');
      const items = (JSON.parse(a.body.toString('utf8')) as { items?: IncomingCommand[] }).items ?? [];
      for (const c of items) {
        const params = c.params ?? {};
        this.#ev.command(
          typeof c.name === 'string' && typeof params === 'object'
            ? { id: c.id, name: c.name, params }
            : { id: c.id, name: '', params: {}, problem: 'command payload is not {"name", "params"}' },
        );
      }
    });
  }

  #pollDesired(): Promise<void> {
    const wait = Math.round(this.#o.pollMs / 1000);
    return this.#poll(async () => {
      const a = await this.#request(
        'GET',
        `/twin/desired?version=${this.#desiredVersion}&wait=${wait}`,
        undefined,
        this.#o.pollMs,
      );
      if (a.status === 304) return;
      this.#check(a, 'desired state');
      this.#gotDesired(a.body);
    });
  }

  async send(m: OutMessage): Promise<void> {
    if (!this.#open) throw new TransientError('not connected', { linkDown: true });
    const [method, path] =
      m.channel === 'telemetry'
        ? ['POST', '/telemetry']
        : m.channel === 'events'
          ? ['POST', '/events']
          : m.channel === 'reported'
            ? ['PATCH', '/twin/reported']
            : ['POST', `/commands/${encodeURIComponent(m.command?.id ?? '')}/result`];
    let a: Answer;
    try {
      a = await this.#request(method, path, m);
    } catch (err) {
      if (err instanceof TransientError && err.linkDown) this.#lost(err);
      throw err;
    }
    // 422: some points kept, some refused (bad keys or values): kept is success, none kept a refusal.
    if (a.status === 422 && acceptedOf(a.body) > 0) return;
    try {
      this.#check(a, m.channel);
    } catch (err) {
      if (err instanceof DeviceSdkError && err.code === 'AUTH_FAILED') this.#lost(err);
      throw err;
    }
  }

  listenCommands(): void {
    if (this.#commands) return;
    this.#commands = true;
    if (this.#open) void this.#pollCommands();
  }

  listenDesired(): void {
    if (this.#desired) return;
    this.#desired = true;
    if (this.#open) void this.#pollDesired();
  }

  async close(): Promise<void> {
    this.#open = false;
    for (const ac of this.#active) ac.abort();
    this.#agent.destroy();
  }
}

function problemDetail(body: Buffer): string {
  try {
    const p = JSON.parse(body.toString('utf8')) as { detail?: unknown; code?: unknown };
    return [p.code, p.detail].filter((x) => typeof x === 'string').join(': ');
  } catch {
    return body.toString('utf8').slice(0, 200);
  }
}

function acceptedOf(body: Buffer): number {
  try {
    const n = (JSON.parse(body.toString('utf8')) as { accepted?: unknown }).accepted;
    return typeof n === 'number' ? n : 0;
  } catch {
    return 0;
  }
}
