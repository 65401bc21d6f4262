import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { AuthErrors, type AuthService, can, PERMISSION_TEXT } from '../auth/index.js';
import { PlexusError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { RegistryErrors, type RegistryService } from '../registry/index.js';
import { type AuditService, redact } from '../security/index.js';
import { ApiErrors } from './errors.js';
import type { ApiMetrics } from './metrics.js';
import { sendProblem, toPlexusError } from './problem.js';
import { createValidatorCompiler } from './validator.js';
import { registerWeb, type WebOptions } from './web.js';

export interface ApiServerDeps {
  readonly config: {
    readonly bodyLimit: number;
    readonly trustProxy: boolean;
    /** PEM contents: serve HTTPS (and wss:// for MQTT) instead of HTTP. */
    readonly tls?: { readonly cert: Buffer; readonly key: Buffer } | undefined;
  };
  readonly metricsEnabled: boolean;
  readonly log: Logger;
  readonly version: string;
  readonly auth: AuthService;
  readonly registry: RegistryService;
  readonly audit: AuditService;
  readonly metrics: ApiMetrics;
  /** The dashboard to serve at `/` (absent or not built: none). */
  readonly web?: WebOptions | undefined;
  /** Readiness: resolves when storage answers; rejects otherwise. */
  readonly ready: () => Promise<void>;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The Fastify root (ARCHITECTURE §6): problem+json errors, bearer auth and
 * role checks from route config, the audit hook, OpenAPI at /api/docs,
 * health and metrics. Context routes plug in under /api/v1.
 */
export async function createApiServer(deps: ApiServerDeps) {
  const app = Fastify({
    loggerInstance: deps.log.child({ part: 'http' }) as FastifyBaseLogger,
    // Our onResponse hook logs requests at debug level with the route; Fastify's per-request info lines are noise.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.bodyLimit,
    trustProxy: deps.config.trustProxy,
    return503OnClosing: true,
    // HTTPS through a server factory keeps one instance type for both cases.
    serverFactory: (handler) => {
      const tls = deps.config.tls;
      return tls
        ? (createHttpsServer({ cert: tls.cert, key: tls.key }, handler) as unknown as HttpServer)
        : createHttpServer(handler);
    },
    // Ids may be 128 characters; Fastify's default of 100 would answer 414 for valid ones.
    routerOptions: { maxParamLength: 1024 },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(createValidatorCompiler());
  // Our own JSON parser keeps V8's message (what and where) for malformed bodies.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(
        new PlexusError(ApiErrors.MALFORMED_JSON, `body is not valid JSON: ${(err as Error).message}`),
        undefined,
      );
    }
  });
  app.decorateRequest('auth', null);
  app.decorateRequest('auditId', undefined);
  app.decorateRequest('auditTenant', undefined);
  // JSON only: a text/plain body is refused with 415 rather than parsed as a string.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((error, request, reply) => {
    const err = toPlexusError(error);
    if (err.status >= 500) request.log.error({ err: error, url: request.url }, 'request failed');
    return sendProblem(request, reply, err);
  });
  // Dashboard page URLs (`/devices/press-7`) get its index.html; anything else unknown is a 404 problem.
  let page: ((req: FastifyRequest, reply: FastifyReply) => FastifyReply | undefined) | undefined;
  app.setNotFoundHandler(
    (request, reply) =>
      page?.(request, reply) ??
      sendProblem(
        request,
        reply,
        new PlexusError(ApiErrors.ROUTE_NOT_FOUND, `no route ${request.method} ${request.url.split('?')[0]}`),
      ),
  );

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    deps.metrics.requests.inc({ method: request.method, route, status: reply.statusCode });
    deps.metrics.duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    if (reply.statusCode === 401 || reply.statusCode === 429) {
      const kind =
        reply.statusCode === 429 ? 'throttled' : route === '/api/v1/auth/login' ? 'login' : 'token';
      deps.metrics.authFailures.inc({ kind });
    }
    request.log.debug(
      { method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime },
      'request',
    );
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Plexus operator API',
        version: deps.version,
        description: 'Manage devices, profiles, groups, users and API keys.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'Session token or API key' },
        },
      },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
  if (deps.web) page = await registerWeb(app, deps.web);
  if (deps.web && !page)
    deps.log.warn({ root: deps.web.root }, 'the dashboard is not built (npm run build): / serves nothing');

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await deps.ready();
      return { status: 'ready' };
    } catch (err) {
      return reply.code(503).send({ status: 'unavailable', reason: (err as Error).message });
    }
  });
  if (deps.metricsEnabled) {
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
      reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()),
    );
  }

  // "Every mutating API call writes the audit log" is enforced here, at
  // registration: a POST/PUT/PATCH/DELETE route under /api/v1 without an
  // audit spec stops start-up instead of silently going unrecorded.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const mutating = methods.some((m) => MUTATING.has(m));
    if (mutating && route.url.startsWith('/api/v1/') && !route.config?.audit) {
      throw new Error(`route ${methods.join(',')} ${route.url} mutates but declares no audit spec`);
    }
  });

  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/api/v1/')) return;
    const config = request.routeOptions.config;
    if (config.public) return;
    request.auth = await authenticate(request);
  });
  // Roles are checked after the body is parsed (so a refused attempt is
  // audited with what it tried) and before it is validated (so a role that
  // may not act learns that first).
  app.addHook('preValidation', async (request) => {
    const permission = request.routeOptions.config.permission;
    if (!permission || !request.auth) return;
    const { principal } = request.auth;
    if (!can(principal, permission)) {
      throw new PlexusError(
        AuthErrors.FORBIDDEN,
        `the ${principal.role} role may not ${PERMISSION_TEXT[permission]}`,
      );
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    const spec = request.routeOptions.config.audit;
    if (!spec || !MUTATING.has(request.method)) return;
    const params = request.params as Record<string, string> | undefined;
    const body = request.body as Record<string, unknown> | undefined;
    const fromBody =
      spec.idBody && typeof body?.[spec.idBody] === 'string' ? (body[spec.idBody] as string) : undefined;
    const auth = request.auth;
    await deps.audit.record({
      tenant: request.auditTenant ?? auth?.tenant ?? 'default',
      actor: auth
        ? `${auth.principal.kind}:${auth.principal.id}`
        : spec.actorBody && typeof body?.[spec.actorBody] === 'string'
          ? `user:${body[spec.actorBody] as string}`
          : 'anonymous',
      action: spec.action,
      resource: spec.resource,
      resourceId: request.auditId ?? (spec.idParam ? params?.[spec.idParam] : undefined) ?? fromBody ?? null,
      status: reply.statusCode,
      ip: request.ip,
      details: body && typeof body === 'object' ? (redact(body) as Record<string, unknown>) : null,
    });
  });

  async function authenticate(request: FastifyRequest) {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match?.[1]) {
      throw new PlexusError(
        AuthErrors.UNAUTHENTICATED,
        'send Authorization: Bearer <session token or API key>',
        {
          headers: { 'www-authenticate': 'Bearer realm="plexus"' },
        },
      );
    }
    const token = match[1];
    let principal: Awaited<ReturnType<AuthService['authenticate']>>;
    try {
      principal = await deps.auth.authenticate(token, request.ip);
    } catch (err) {
      if (err instanceof PlexusError && err.status === 401) {
        // RFC 6750 §3: a rejected token is answered with a challenge too.
        throw new PlexusError(AuthErrors.INVALID_CREDENTIALS, err.message, {
          headers: { 'www-authenticate': 'Bearer realm="plexus", error="invalid_token"' },
        });
      }
      throw err;
    }
    const asked = request.headers['plexus-tenant'];
    let tenant = principal.tenant;
    if (typeof asked === 'string' && asked !== principal.tenant) {
      // Only platform admins switch tenants; for anyone else the tenant does not exist.
      if (!principal.platformAdmin || !(await deps.registry.findTenant(asked))) {
        throw new PlexusError(RegistryErrors.TENANT_NOT_FOUND, `tenant ${asked} does not exist`);
      }
      tenant = asked;
    }
    return { principal, tenant, token };
  }

  return app;
}

export type ApiServer = Awaited<ReturnType<typeof createApiServer>>;
