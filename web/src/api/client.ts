/**
 * The dashboard's only way to the server: the public REST API under
 * /api/v1 (ARCHITECTURE §6), with the session token and, for platform
 * admins acting in another tenant, the `Plexus-Tenant` header. Errors come
 * back as ApiError with the server's problem details (code, detail and
 * per-field errors), so forms can show exactly what the server said.
 */

export interface FieldError {
  readonly path: string;
  readonly message: string;
}

export interface Problem {
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly code?: string;
  readonly errors?: readonly FieldError[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title ?? `the server answered ${status}`);
  }

  /** The message for one field (`/body/name`), if the server named it. */
  field(path: string): string | undefined {
    return this.problem.errors?.find((e) => e.path === path || e.path.startsWith(`${path}/`))?.message;
  }
}

export interface Page<T> {
  readonly items: T[];
  readonly next?: string;
}

type Query = Record<string, string | number | boolean | undefined | null>;

interface Credentials {
  token: string | null;
  tenant: string | null;
  /** Called when the server says the session is over (401). */
  onExpired: () => void;
}

const credentials: Credentials = { token: null, tenant: null, onExpired: () => undefined };

export function setCredentials(token: string | null, tenant: string | null, onExpired?: () => void): void {
  credentials.token = token;
  credentials.tenant = tenant;
  if (onExpired) credentials.onExpired = onExpired;
}

export function currentToken(): string | null {
  return credentials.token;
}

export function currentTenant(): string | null {
  return credentials.tenant;
}

function url(path: string, query?: Query): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {}))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return `/api/v1${path}${s ? `?${s}` : ''}`;
}

async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  query?: Query,
  headers?: Record<string, string>,
): Promise<T> {
  const h: Record<string, string> = { accept: 'application/json', ...headers };
  if (credentials.token) h.authorization = `Bearer ${credentials.token}`;
  if (credentials.tenant) h['plexus-tenant'] = credentials.tenant;
  if (body !== undefined) h['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url(path, query), {
      method,
      headers: h,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, {
      title: 'Cannot reach the server',
      detail: 'The Plexus server did not answer. Is it running?',
    });
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = { detail: text };
  }
  if (!res.ok) {
    if (res.status === 401 && credentials.token && path !== '/auth/login') credentials.onExpired();
    throw new ApiError(res.status, (parsed ?? {}) as Problem);
  }
  return parsed as T;
}

/** Encodes each id into its path segment: `path\`/devices/${id}\``. */
export function path(strings: TemplateStringsArray, ...ids: readonly string[]): string {
  return strings.reduce(
    (out, s, i) => out + s + (i < ids.length ? encodeURIComponent(ids[i] as string) : ''),
    '',
  );
}

export const api = {
  get: <T>(p: string, query?: Query) => call<T>('GET', p, undefined, query),
  post: <T>(p: string, body?: unknown, query?: Query) => call<T>('POST', p, body ?? {}, query),
  put: <T>(p: string, body: unknown) => call<T>('PUT', p, body),
  patch: <T>(p: string, body: unknown, headers?: Record<string, string>) =>
    call<T>('PATCH', p, body, undefined, headers),
  del: <T = void>(p: string) => call<T>('DELETE', p),
};
