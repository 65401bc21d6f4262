import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { authOf, tenantOf } from '../../api/context.js';
import { ListSchema, PageQuerySchema, pageQuery, toList } from '../../api/pagination.js';
import { PlexusError } from '../../core/errors.js';
import type { RegistryService } from '../../registry/index.js';
import { AuthErrors } from '../errors.js';
import { can, mayGrant } from '../model.js';
import { UserCreate, UserParams, UserPatch, UserSchema } from '../schemas.js';
import type { AuthService } from '../service.js';

/**
 * Users are scoped to the acting tenant; a platform admin acting in
 * `default` without a Plexus-Tenant header sees everyone.
 */
export const userRoutes: FastifyPluginAsyncTypebox<{ auth: AuthService; registry: RegistryService }> = async (
  app,
  { auth, registry },
) => {
  const tags = ['users'];
  const audit = (action: string) => ({
    action: `user.${action}`,
    resource: 'user',
    idParam: 'username',
    idBody: 'username',
  });
  const scopeOf = (req: Parameters<typeof authOf>[0]) => {
    const a = authOf(req);
    return a.principal.platformAdmin && req.headers['plexus-tenant'] === undefined ? undefined : a.tenant;
  };

  app.get('/users', {
    config: { permission: 'users:read' },
    schema: {
      tags,
      summary: 'List users',
      querystring: PageQuerySchema,
      response: { 200: ListSchema(UserSchema) },
    },
    handler: async (req) => toList(await auth.listUsers(scopeOf(req), pageQuery(req.query))),
  });
  app.post('/users', {
    config: { permission: 'users:write', audit: audit('create') },
    schema: { tags, summary: 'Create a user in a tenant', body: UserCreate, response: { 201: UserSchema } },
    handler: async (req, reply) => {
      const { principal } = authOf(req);
      const tenant = req.body.tenant ?? tenantOf(req);
      if (tenant !== tenantOf(req) && !principal.platformAdmin) {
        throw new PlexusError(AuthErrors.FORBIDDEN, 'only platform admins create users in other tenants');
      }
      if (!mayGrant(principal, req.body.role)) {
        throw new PlexusError(AuthErrors.FORBIDDEN, `a ${principal.role} cannot create a ${req.body.role}`);
      }
      await registry.getTenant(tenant);
      const user = await auth.createUser({
        username: req.body.username,
        password: req.body.password,
        role: req.body.role,
        tenant,
      });
      return reply.code(201).send(user);
    },
  });
  app.get('/users/:username', {
    schema: {
      tags,
      summary: 'Get a user (anyone may read themselves)',
      params: UserParams,
      response: { 200: UserSchema },
    },
    handler: async (req) => {
      const { principal } = authOf(req);
      const self = principal.kind === 'user' && principal.id === req.params.username;
      if (!self && !can(principal, 'users:read'))
        throw new PlexusError(AuthErrors.FORBIDDEN, `role ${principal.role} may not users read`);
      return auth.getUser(req.params.username, self ? undefined : scopeOf(req));
    },
  });
  app.patch('/users/:username', {
    config: { audit: audit('update') },
    schema: {
      tags,
      summary: 'Change a password or role (anyone may change their own password)',
      params: UserParams,
      body: UserPatch,
      response: { 200: UserSchema },
    },
    handler: async (req) => {
      const { principal } = authOf(req);
      const self = principal.kind === 'user' && principal.id === req.params.username;
      const ownPasswordOnly = self && req.body.role === undefined;
      if (!ownPasswordOnly && !can(principal, 'users:write')) {
        throw new PlexusError(AuthErrors.FORBIDDEN, `role ${principal.role} may not users write`);
      }
      if (req.body.role && !mayGrant(principal, req.body.role)) {
        throw new PlexusError(AuthErrors.FORBIDDEN, `a ${principal.role} cannot grant ${req.body.role}`);
      }
      return auth.updateUser(req.params.username, self ? undefined : scopeOf(req), req.body, principal);
    },
  });
  app.delete('/users/:username', {
    config: { permission: 'users:write', audit: audit('delete') },
    schema: { tags, summary: 'Delete a user and end their sessions', params: UserParams },
    handler: async (req, reply) => {
      await auth.deleteUser(req.params.username, scopeOf(req), authOf(req).principal);
      return reply.code(204).send();
    },
  });
};
