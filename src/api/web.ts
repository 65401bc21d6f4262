import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Where `npm run build` puts the dashboard (web/vite.config.ts): dist/web, beside dist/src. */
export const WEB_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../web');

export interface WebOptions {
  readonly root: string;
  /** Map tile URL template (dashboard.mapTiles): its host is allowed by the page's CSP. */
  readonly mapTiles: string;
}

/** Paths that are never dashboard pages: an unknown one there is a 404 problem, not index.html. */
const NOT_PAGES = /^\/(api|device|mqtt|metrics|healthz|readyz)(\/|$)/;

/**
 * The page's Content-Security-Policy: scripts and data from this server
 * only (the live stream over ws/wss), images also from the map's tile host.
 * Inline styles are allowed: the chart and map libraries position with them.
 */
function csp(mapTiles: string): string {
  let tiles = '';
  try {
    if (mapTiles) tiles = ` ${new URL(mapTiles.replace(/\{[a-z]\}/g, 'a')).origin}`;
  } catch {
    tiles = '';
  }
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data: blob:${tiles}`,
    "connect-src 'self' ws: wss:",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
  ].join('; ');
}

/**
 * Serves the operator dashboard at `/` (issue #7): hashed assets cached for
 * a year, index.html never cached, and index.html for every page URL the
 * dashboard routes itself (`/devices/press-7` after a reload). Returns the
 * function the not-found handler uses for page URLs, or undefined when the
 * dashboard was not built.
 */
export async function registerWeb(
  app: FastifyInstance,
  opts: WebOptions,
): Promise<((req: FastifyRequest, reply: FastifyReply) => FastifyReply | undefined) | undefined> {
  if (!existsSync(join(opts.root, 'index.html'))) return undefined;
  const policy = csp(opts.mapTiles);
  await app.register(fastifyStatic, {
    root: opts.root,
    prefix: '/',
    index: false,
    wildcard: false,
    cacheControl: false,
    setHeaders(reply, path) {
      reply.header('x-content-type-options', 'nosniff');
      if (path.includes('/assets/')) reply.header('cache-control', 'public, max-age=31536000, immutable');
      else reply.header('cache-control', 'no-cache');
      if (path.endsWith('.html')) reply.header('content-security-policy', policy);
    },
  });
  const page = (_req: FastifyRequest, reply: FastifyReply) => reply.sendFile('index.html');
  app.get('/', { schema: { hide: true } }, page);
  return (req, reply) => {
    const path = req.url.split('?')[0] as string;
    const wantsPage =
      (req.method === 'GET' || req.method === 'HEAD') &&
      !NOT_PAGES.test(path) &&
      !/\.[a-z0-9]{1,8}$/i.test(path) &&
      (req.headers.accept ?? '').includes('text/html');
    return wantsPage ? page(req, reply) : undefined;
  };
}
