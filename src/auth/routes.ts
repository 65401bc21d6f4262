import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RegistryService } from '../registry/index.js';
import { apiKeyRoutes } from './routes/apikeys.js';
import { sessionRoutes } from './routes/session.js';
import { userRoutes } from './routes/users.js';
import type { AuthService } from './service.js';

/** Login, users and API keys under /api/v1. */
export const authRoutes: FastifyPluginAsyncTypebox<{ auth: AuthService; registry: RegistryService }> = async (
  app,
  opts,
) => {
  await app.register(sessionRoutes, opts);
  await app.register(userRoutes, opts);
  await app.register(apiKeyRoutes, opts);
};
