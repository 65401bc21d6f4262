import type { SimApi } from './pack.js';

/**
 * The simulator's REST client: bearer auth (API key or session token), the
 * `Plexus-Tenant` header, problem+json errors turned into SimError. The
 * simulator is a client of the public API like any other program.
 */

export type SimErrorCode =
  | 'SIM_OPTION_INVALID' // a runSimulation option is wrong
  | 'SIM_API_ERROR' // the server answered with an error status
  | 'SIM_UNREACHABLE' // no answer from the server
  | 'SIM_CONNECT_FAILED' // a device could not connect to the broker
  | 'SIM_SCENARIO_UNKNOWN'; // no pack of that name

export class SimError extends Error {
  readonly code: SimErrorCode;
  /** HTTP status for SIM_API_ERROR. */
  readonly status: number | undefined;
  /** The problem document's code (e.g. DEVICE_EXISTS), when the server sent one. */
  readonly problemCode: string | undefined;

  constructor(
    code: SimErrorCode,
    message: string,
    opts: { status?: number; problemCode?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SimError';
    this.code = code;
    this.status = opts.status;
    this.problemCode = opts.problemCode;
  }
}

export type SimAuth = { readonly apiKey: string } | { readonly token: string };

export interface SimApiOptions {
  readonly url: string;
  readonly auth: SimAuth;
  readonly tenant?: string | undefined;
  readonly timeoutMs?: number;
}

/** `{title, detail, code}` of a problem+json body, tolerating anything else. */
function problemOf(text: string): { code?: string; detail?: string } {
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    const detail = [o.detail, o.title, o.message].find((v) => typeof v === 'string') as string | undefined;
    return {
      ...(typeof o.code === 'string' ? { code: o.code } : {}),
      ...(detail === undefined ? {} : { detail }),
    };
  } catch {
    return {};
  }
}

export function createSimApi(opts: SimApiOptions): SimApi & { readonly url: string } {
  const url = opts.url.replace(/\/+$/, '');
  const token = 'apiKey' in opts.auth ? opts.auth.apiKey : opts.auth.token;
  return {
    url,
    async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
      const headers: Record<string, string> = {
        accept: 'application/json, application/problem+json',
        authorization: `Bearer ${token}`,
      };
      if (opts.tenant) headers['plexus-tenant'] = opts.tenant;
      if (body !== undefined) headers['content-type'] = 'application/json';
      let res: Response;
      try {
        res = await fetch(url + path, {
          method,
          headers,
          signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      } catch (err) {
        throw new SimError('SIM_UNREACHABLE', `cannot reach Plexus at ${url}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      const text = await res.text();
      if (!res.ok) {
        const p = problemOf(text);
        const why = p.detail ?? res.statusText;
        throw new SimError('SIM_API_ERROR', `${method} ${path} answered ${res.status}: ${why}`, {
          status: res.status,
          ...(p.code === undefined ? {} : { problemCode: p.code }),
        });
      }
      if (text === '') return undefined as T;
      return JSON.parse(text) as T;
    },
  };
}
