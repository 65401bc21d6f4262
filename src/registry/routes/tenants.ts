import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ListSchema, PageQuerySchema, pageQuery, toList } from '../../api/pagination.js';
import { TenantCreate, TenantParams, TenantPatch, TenantSchema } from '../schemas.js';
import type { RegistryService } from '../service.js';

/** Tenants: platform admins only. */
export const tenantRoutes: FastifyPluginAsyncTypebox<{ registry: RegistryService }> = async (
  app,
  { registry },
) => {
  const tags = ['tenants'];
  const permission = 'tenants:manage' as const;
  app.get('/tenants', {
    config: { permission },
    schema: {
      tags,
      summary: 'List tenants',
      querystring: PageQuerySchema,
      response: { 200: ListSchema(TenantSchema) },
    },
    handler: async (req) => toList(await registry.listTenants(pageQuery(req.query))),
  });
  app.post('/tenants', {
    config: { permission, audit: { action: 'tenant.create', resource: 'tenant', idBody: 'id' } },
    schema: { tags, summary: 'Create a tenant', body: TenantCreate, response: { 201: TenantSchema } },
    handler: async (req, reply) => reply.code(201).send(await registry.createTenant(req.body)),
  });
  app.get('/tenants/:id', {
    config: { permission },
    schema: { tags, summary: 'Get a tenant', params: TenantParams, response: { 200: TenantSchema } },
    handler: async (req) => registry.getTenant(req.params.id),
  });
  app.patch('/tenants/:id', {
    config: { permission, audit: { action: 'tenant.update', resource: 'tenant', idParam: 'id' } },
    schema: {
      tags,
      summary: 'Rename a tenant',
      params: TenantParams,
      body: TenantPatch,
      response: { 200: TenantSchema },
    },
    handler: async (req) => registry.updateTenant(req.params.id, req.body),
  });
  app.delete('/tenants/:id', {
    config: { permission, audit: { action: 'tenant.delete', resource: 'tenant', idParam: 'id' } },
    schema: { tags, summary: 'Delete a tenant and everything it owns', params: TenantParams },
    handler: async (req, reply) => {
      await registry.deleteTenant(req.params.id);
      return reply.code(204).send();
    },
  });
};
