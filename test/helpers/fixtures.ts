import assert from 'node:assert/strict';
import { type Client, login, type Reply } from './http.js';

/** Shapes of the operator API as the tests read them (ARCHITECTURE §6.1). */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly instance: string;
  readonly errors?: { readonly path: string; readonly message: string }[];
}

export interface List<T> {
  readonly items: T[];
  readonly next?: string;
}

export interface DeviceBody {
  readonly id: string;
  readonly name: string;
  readonly profile: string;
  readonly groups: string[];
  readonly labels: Record<string, string>;
  readonly enabled: boolean;
  readonly status: string;
  readonly secret?: string;
}

/**
 * Asserts a problem+json answer with the given status and code, a detail
 * that says something, and returns the problem for further checks.
 */
export function assertProblem(r: Reply<unknown>, status: number, code: string): Problem {
  const p = r.body as Problem;
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status} ${JSON.stringify(r.body)}`);
  assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(p.code, code, JSON.stringify(p));
  assert.equal(p.status, status);
  assert.equal(typeof p.detail, 'string');
  assert.ok(p.detail.length > 0, 'detail must say what is wrong');
  return p;
}

/** The `path`s of a problem's field errors. */
export function errorPaths(p: Problem): string[] {
  return (p.errors ?? []).map((e) => e.path);
}

/** Follows `next` cursors from `path` and returns every page. */
export async function allPages<T>(c: Client, path: string): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  const sep = path.includes('?') ? '&' : '?';
  do {
    const r = await c.get<List<T>>(
      cursor === undefined ? path : `${path}${sep}cursor=${encodeURIComponent(cursor)}`,
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    pages.push(r.body.items);
    cursor = r.body.next;
    assert.ok(pages.length < 1000, 'pagination does not end');
  } while (cursor !== undefined);
  return pages;
}

/** Ids of a list answer. */
export function ids(r: Reply<unknown>): string[] {
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return (r.body as List<{ id: string }>).items.map((i) => i.id);
}

/** Creates a user through the API (as `by`) and returns a client logged in as them. */
export async function userClient(
  by: Client,
  url: string,
  user: { username: string; role: 'admin' | 'operator' | 'viewer'; tenant?: string },
  password = `${user.username}-password`,
): Promise<Client> {
  const r = await by.post('/api/v1/users', { ...user, password });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return login(url, user.username, password);
}
