import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { deviceRoutes } from './routes/devices.js';
import { groupRoutes } from './routes/groups.js';
import { profileRoutes } from './routes/profiles.js';
import { tenantRoutes } from './routes/tenants.js';
import type { RegistryService } from './service.js';

/** The registry's REST resources under /api/v1. */
export const registryRoutes: FastifyPluginAsyncTypebox<{ registry: RegistryService }> = async (app, opts) => {
  await app.register(tenantRoutes, opts);
  await app.register(profileRoutes, opts);
  await app.register(groupRoutes, opts);
  await app.register(deviceRoutes, opts);
};
