import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { authOf } from '../../api/context.js';
import { LoginBody, LoginResponse, MeResponse } from '../schemas.js';
import type { AuthService } from '../service.js';

export const sessionRoutes: FastifyPluginAsyncTypebox<{ auth: AuthService }> = async (app, { auth }) => {
  const tags = ['auth'];
  app.post('/auth/login', {
    config: {
      public: true,
      audit: { action: 'auth.login', resource: 'user', idBody: 'username', actorBody: 'username' },
    },
    schema: {
      tags,
      summary: 'Log in; returns a session token for Authorization: Bearer',
      security: [],
      body: LoginBody,
      response: { 200: LoginResponse },
    },
    handler: async (req) => {
      const result = await auth.login(req.body.username, req.body.password, req.ip);
      req.auditTenant = result.user.tenant;
      return result;
    },
  });
  app.post('/auth/logout', {
    config: { audit: { action: 'auth.logout', resource: 'session' } },
    schema: { tags, summary: 'End this session' },
    handler: async (req, reply) => {
      await auth.logout(authOf(req).token);
      return reply.code(204).send();
    },
  });
  app.get('/auth/me', {
    schema: { tags, summary: 'Who am I, and in which tenant do I act', response: { 200: MeResponse } },
    handler: async (req) => {
      const { principal, tenant } = authOf(req);
      return { ...principal, actingTenant: tenant };
    },
  });
};
