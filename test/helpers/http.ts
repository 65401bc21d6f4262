/** A tiny JSON client for tests: real HTTP, no mocks. */
export interface Reply<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

export function client(url: string, token?: string, extraHeaders: Record<string, string> = {}) {
  async function call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> {
    const h: Record<string, string> = { ...extraHeaders, ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    const res = await fetch(url + path, {
      method,
      headers: h,
      ...(payload === undefined ? {} : { body: payload }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // keep the text (metrics, HTML)
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  }
  return {
    get: <T = Record<string, unknown>>(p: string, h?: Record<string, string>) =>
      call<T>('GET', p, undefined, h),
    post: <T = Record<string, unknown>>(p: string, b?: unknown, h?: Record<string, string>) =>
      call<T>('POST', p, b, h),
    patch: <T = Record<string, unknown>>(p: string, b?: unknown, h?: Record<string, string>) =>
      call<T>('PATCH', p, b, h),
    del: <T = Record<string, unknown>>(p: string, h?: Record<string, string>) =>
      call<T>('DELETE', p, undefined, h),
    call,
  };
}

export type Client = ReturnType<typeof client>;

/** Logs in and returns a client carrying the session token. */
export async function login(
  url: string,
  username: string,
  password: string,
  headers: Record<string, string> = {},
): Promise<Client> {
  const r = await client(url).post<{ token: string }>('/api/v1/auth/login', { username, password });
  if (r.status !== 200) throw new Error(`login ${username} failed: ${r.status} ${JSON.stringify(r.body)}`);
  return client(url, r.body.token, headers);
}
