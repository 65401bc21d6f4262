import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { tenantOf } from '../../api/context.js';
import { ListSchema, PageQuerySchema, pageQuery, toList } from '../../api/pagination.js';
import { GroupCreate, GroupPatch, GroupSchema, IdParams } from '../schemas.js';
import type { RegistryService } from '../service.js';

export const groupRoutes: FastifyPluginAsyncTypebox<{ registry: RegistryService }> = async (
  app,
  { registry },
) => {
  const tags = ['groups'];
  const audit = (action: string) => ({
    action: `group.${action}`,
    resource: 'group',
    idParam: 'id',
    idBody: 'id',
  });
  app.get('/groups', {
    config: { permission: 'registry:read' },
    schema: {
      tags,
      summary: 'List device groups',
      querystring: PageQuerySchema,
      response: { 200: ListSchema(GroupSchema) },
    },
    handler: async (req) => toList(await registry.listGroups(tenantOf(req), pageQuery(req.query))),
  });
  app.post('/groups', {
    config: { permission: 'groups:write', audit: audit('create') },
    schema: { tags, summary: 'Create a device group', body: GroupCreate, response: { 201: GroupSchema } },
    handler: async (req, reply) => reply.code(201).send(await registry.createGroup(tenantOf(req), req.body)),
  });
  app.get('/groups/:id', {
    config: { permission: 'registry:read' },
    schema: { tags, summary: 'Get a device group', params: IdParams, response: { 200: GroupSchema } },
    handler: async (req) => registry.getGroup(tenantOf(req), req.params.id),
  });
  app.patch('/groups/:id', {
    config: { permission: 'groups:write', audit: audit('update') },
    schema: {
      tags,
      summary: 'Rename or describe a group',
      params: IdParams,
      body: GroupPatch,
      response: { 200: GroupSchema },
    },
    handler: async (req) => registry.updateGroup(tenantOf(req), req.params.id, req.body),
  });
  app.delete('/groups/:id', {
    config: { permission: 'groups:write', audit: audit('delete') },
    schema: { tags, summary: 'Delete a group (its devices stay, without it)', params: IdParams },
    handler: async (req, reply) => {
      await registry.deleteGroup(tenantOf(req), req.params.id);
      return reply.code(204).send();
    },
  });
};
