import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { authOf, tenantOf } from '../../api/context.js';
import { ListSchema, PageQuerySchema, pageQuery, toList } from '../../api/pagination.js';
import { PlexusError } from '../../core/errors.js';
import { AuthErrors } from '../errors.js';
import { mayGrant } from '../model.js';
import { ApiKeyCreate, ApiKeyParams, ApiKeySchema, CreatedApiKey } from '../schemas.js';
import type { AuthService } from '../service.js';

export const apiKeyRoutes: FastifyPluginAsyncTypebox<{ auth: AuthService }> = async (app, { auth }) => {
  const tags = ['apikeys'];
  const audit = (action: string) => ({ action: `apikey.${action}`, resource: 'apikey', idParam: 'id' });
  app.get('/apikeys', {
    config: { permission: 'apikeys:read' },
    schema: {
      tags,
      summary: 'List API keys of the tenant',
      querystring: PageQuerySchema,
      response: { 200: ListSchema(ApiKeySchema) },
    },
    handler: async (req) => toList(await auth.listApiKeys(tenantOf(req), pageQuery(req.query))),
  });
  app.post('/apikeys', {
    config: { permission: 'apikeys:write', audit: audit('create') },
    schema: {
      tags,
      summary: 'Create an API key for a program; the key is shown once',
      body: ApiKeyCreate,
      response: { 201: CreatedApiKey },
    },
    handler: async (req, reply) => {
      const { principal } = authOf(req);
      if (!mayGrant(principal, req.body.role)) {
        throw new PlexusError(
          AuthErrors.FORBIDDEN,
          `a ${principal.role} cannot create a ${req.body.role} key`,
        );
      }
      const key = await auth.createApiKey({
        tenant: tenantOf(req),
        name: req.body.name,
        role: req.body.role,
        createdBy: `${principal.kind}:${principal.id}`,
      });
      req.auditId = key.id;
      return reply.code(201).send(key);
    },
  });
  app.get('/apikeys/:id', {
    config: { permission: 'apikeys:read' },
    schema: {
      tags,
      summary: 'Get an API key (never the key itself)',
      params: ApiKeyParams,
      response: { 200: ApiKeySchema },
    },
    handler: async (req) => auth.getApiKey(tenantOf(req), req.params.id),
  });
  app.delete('/apikeys/:id', {
    config: { permission: 'apikeys:write', audit: audit('delete') },
    schema: { tags, summary: 'Revoke an API key at once', params: ApiKeyParams },
    handler: async (req, reply) => {
      await auth.deleteApiKey(tenantOf(req), req.params.id);
      return reply.code(204).send();
    },
  });
};
