import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { tenantOf } from '../../api/context.js';
import { ListSchema, PageQuerySchema, pageQuery, toList } from '../../api/pagination.js';
import { IdParams, ProfileCreate, ProfilePatch, ProfileSchema } from '../schemas.js';
import type { RegistryService } from '../service.js';

export const profileRoutes: FastifyPluginAsyncTypebox<{ registry: RegistryService }> = async (
  app,
  { registry },
) => {
  const tags = ['profiles'];
  const audit = (action: string) => ({
    action: `profile.${action}`,
    resource: 'profile',
    idParam: 'id',
    idBody: 'id',
  });
  app.get('/profiles', {
    config: { permission: 'registry:read' },
    schema: {
      tags,
      summary: 'List device profiles',
      querystring: PageQuerySchema,
      response: { 200: ListSchema(ProfileSchema) },
    },
    handler: async (req) => toList(await registry.listProfiles(tenantOf(req), pageQuery(req.query))),
  });
  app.post('/profiles', {
    config: { permission: 'profiles:write', audit: audit('create') },
    schema: {
      tags,
      summary: 'Create a device profile',
      body: ProfileCreate,
      response: { 201: ProfileSchema },
    },
    handler: async (req, reply) =>
      reply.code(201).send(await registry.createProfile(tenantOf(req), req.body)),
  });
  app.get('/profiles/:id', {
    config: { permission: 'registry:read' },
    schema: { tags, summary: 'Get a device profile', params: IdParams, response: { 200: ProfileSchema } },
    handler: async (req) => registry.getProfile(tenantOf(req), req.params.id),
  });
  app.patch('/profiles/:id', {
    config: { permission: 'profiles:write', audit: audit('update') },
    schema: {
      tags,
      summary: 'Change a device profile (top-level fields are replaced; grants and limits merge)',
      params: IdParams,
      body: ProfilePatch,
      response: { 200: ProfileSchema },
    },
    handler: async (req) => registry.updateProfile(tenantOf(req), req.params.id, req.body),
  });
  app.delete('/profiles/:id', {
    config: { permission: 'profiles:write', audit: audit('delete') },
    schema: { tags, summary: 'Delete an unused device profile', params: IdParams },
    handler: async (req, reply) => {
      await registry.deleteProfile(tenantOf(req), req.params.id);
      return reply.code(204).send();
    },
  });
};
