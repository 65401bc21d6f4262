import { ApiError, CliError, parseProblem, problemLines, unreachableLine } from './errors.js';

/**
 * A small client of the Plexus REST API over the global fetch. It knows the
 * protocol conventions (bearer auth, `Plexus-Tenant`, problem+json, cursor
 * lists) and nothing about commands or output.
 */

export type QueryValue = string | number | boolean | readonly string[] | undefined;
export type Query = Readonly<Record<string, QueryValue>>;

/** A list answer: `{items, next?}`. */
export interface ListPage<T> {
  readonly items: T[];
  readonly next?: string;
}

export interface ClientOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** Session token or API key. */
  readonly token?: string | undefined;
  /** Sent as `Plexus-Tenant` so a platform admin acts in that tenant. */
  readonly tenant?: string | undefined;
  /** Lines shown when a call needs a token and there is none. */
  readonly missingAuth?: readonly string[];
  /** Line added to a 401, e.g. that a saved login may have expired. */
  readonly unauthorizedHint?: string | undefined;
  readonly timeoutMs?: number;
}

export interface RequestOptions {
  readonly query?: Query;
  readonly body?: unknown;
  /** False for the few calls that need no token (`/info`, `/auth/login`). */
  readonly auth?: boolean;
  readonly headers?: Readonly<Record<string, string>>;
  /** For calls that wait on the server (`?wait=`): longer than the client's default. */
  readonly timeoutMs?: number;
}

/** `/devices/{id}` with each segment escaped: ids are URL-safe by rule, but not trusted to be. */
export function path(strings: TemplateStringsArray, ...ids: readonly string[]): string {
  return strings.reduce(
    (acc, s, i) => acc + s + (i < ids.length ? encodeURIComponent(ids[i] ?? '') : ''),
    '',
  );
}

/** Appends query parameters; arrays repeat the key (`label=a=1&label=b=2`); undefined is left out. */
export function withQuery(url: string, query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) params.append(k, String(item));
    else params.append(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${url}?${qs}` : url;
}

export class PlexusClient {
  readonly url: string;
  readonly #opts: ClientOptions;

  constructor(opts: ClientOptions) {
    this.url = opts.url.replace(/\/+$/, '');
    this.#opts = opts;
  }

  get hasToken(): boolean {
    return this.#opts.token !== undefined && this.#opts.token !== '';
  }

  /** Sends one request; resolves to the parsed JSON body, or undefined for an empty one (204). */
  async request<T>(method: string, apiPath: string, opts: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
    if (opts.auth !== false) {
      if (!this.hasToken) throw new CliError(this.#opts.missingAuth ?? ['Error: not logged in']);
      headers.authorization = `Bearer ${this.#opts.token}`;
    }
    if (this.#opts.tenant) headers['plexus-tenant'] = this.#opts.tenant;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    Object.assign(headers, opts.headers);

    let res: Response;
    try {
      res = await fetch(withQuery(this.url + apiPath, opts.query), {
        method,
        headers,
        signal: AbortSignal.timeout(opts.timeoutMs ?? this.#opts.timeoutMs ?? 30_000),
        ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
      });
    } catch (err) {
      throw new CliError([unreachableLine(this.url, err)]);
    }
    const text = await res.text();
    if (!res.ok) {
      const problem = parseProblem(text);
      const lines = problemLines(res.status, res.statusText, problem);
      const hint = res.status === 401 ? this.#opts.unauthorizedHint : undefined;
      throw new ApiError(res.status, problem, hint === undefined ? lines : [...lines, hint]);
    }
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError([`Error: ${method} ${apiPath} answered ${res.status} with a body that is not JSON`]);
    }
  }

  get<T>(apiPath: string, query?: Query): Promise<T> {
    return this.request<T>('GET', apiPath, query === undefined ? {} : { query });
  }

  post<T>(apiPath: string, body?: unknown, opts: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('POST', apiPath, body === undefined ? opts : { ...opts, body });
  }

  patch<T>(apiPath: string, body: unknown, opts: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('PATCH', apiPath, { ...opts, body });
  }

  async delete(apiPath: string): Promise<void> {
    await this.request<unknown>('DELETE', apiPath);
  }

  /** Every item of a list, following `next` cursors until the last page. */
  async all<T>(apiPath: string, query: Query = {}): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page: ListPage<T> = await this.get<ListPage<T>>(apiPath, { ...query, cursor });
      items.push(...page.items);
      cursor = page.next;
    } while (cursor);
    return items;
  }
}
