import Type, { type Static, type TSchema } from 'typebox';
import { PlexusError } from '../core/errors.js';
import type { Page, PageQuery } from '../store/index.js';
import { ApiErrors } from './errors.js';

export const PageQuerySchema = Type.Object({
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Items per page (max 1000).' }),
  ),
  cursor: Type.Optional(
    Type.String({ maxLength: 1024, description: 'The `next` value of the previous page.' }),
  ),
});

export type PageParams = Static<typeof PageQuerySchema>;

/** `{items, next?}`, the shape of every list (ARCHITECTURE §6.1). */
export function ListSchema<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), next: Type.Optional(Type.String()) });
}

// Cursors are opaque to clients: a versioned, base64url-encoded key.
export function encodeCursor(after: string): string {
  return Buffer.from(JSON.stringify({ v: 1, a: after })).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      v?: unknown;
      a?: unknown;
    };
    if (parsed.v === 1 && typeof parsed.a === 'string') return parsed.a;
  } catch {
    // fall through to the error below
  }
  throw new PlexusError(
    ApiErrors.INVALID_CURSOR,
    'cursor is not valid; pass the `next` value of a previous page unchanged',
  );
}

export function pageQuery(q: PageParams): PageQuery {
  return { limit: q.limit ?? 100, after: q.cursor === undefined ? undefined : decodeCursor(q.cursor) };
}

export function toList<T>(page: Page<T>): { items: T[]; next?: string } {
  return page.nextAfter === undefined
    ? { items: page.items }
    : { items: page.items, next: encodeCursor(page.nextAfter) };
}
