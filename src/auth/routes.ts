import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RegistryService } from '../registry/index.js';
import type { MqttUserService } from './mqtt-users.js';
import { apiKeyRoutes } from './routes/apikeys.js';
import { mqttUserRoutes } from './routes/mqtt-users.js';
import { sessionRoutes } from './routes/session.js';
import { userRoutes } from './routes/users.js';
import type { AuthService } from './service.js';

/** Login, users, API keys and MQTT users under /api/v1. */
export const authRoutes: FastifyPluginAsyncTypebox<{
  auth: AuthService;
  registry: RegistryService;
  mqttUsers: MqttUserService;
}> = async (app, opts) => {
  await app.register(sessionRoutes, opts);
  await app.register(userRoutes, opts);
  await app.register(apiKeyRoutes, opts);
  await app.register(mqttUserRoutes, opts);
};
