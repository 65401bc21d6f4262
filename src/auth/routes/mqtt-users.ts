import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { authOf, tenantOf } from '../../api/context.js';
import { ListSchema, PageQuerySchema, pageQuery, toList } from '../../api/pagination.js';
import type { MqttUserActor, MqttUserService } from '../mqtt-users.js';
import {
  MqttUserCreate,
  MqttUserParams,
  MqttUserPatch,
  MqttUserSchema,
  MqttUserWithSecret,
} from '../schemas.js';

const actorOf = (req: FastifyRequest): MqttUserActor => {
  const { principal } = authOf(req);
  return { by: `${principal.kind}:${principal.id}`, platformAdmin: principal.platformAdmin };
};

/**
 * MQTT users of the acting tenant (docs/mqtt-users.md): plain MQTT clients
 * with a secret and topic ACL rules. Governed like API keys: admins only.
 */
export const mqttUserRoutes: FastifyPluginAsyncTypebox<{ mqttUsers: MqttUserService }> = async (
  app,
  { mqttUsers },
) => {
  const tags = ['mqtt-users'];
  const audit = (action: string) => ({
    action: `mqtt-user.${action}`,
    resource: 'mqtt-user',
    idParam: 'username',
    idBody: 'username',
  });
  const read = { permission: 'mqtt-users:read' } as const;
  const write = (action: string) => ({ permission: 'mqtt-users:write', audit: audit(action) }) as const;

  app.get('/mqtt-users', {
    config: read,
    schema: {
      tags,
      summary: 'List MQTT users of the tenant (never their secrets)',
      querystring: PageQuerySchema,
      response: { 200: ListSchema(MqttUserSchema) },
    },
    handler: async (req) => toList(await mqttUsers.list(tenantOf(req), pageQuery(req.query))),
  });
  app.post('/mqtt-users', {
    config: write('create'),
    schema: {
      tags,
      summary: 'Create an MQTT user; the secret is shown once',
      description:
        'Rules are ordered: the first that matches a topic decides, no match denies. A user name must not equal a device id of the tenant.',
      body: MqttUserCreate,
      response: { 201: MqttUserWithSecret },
    },
    handler: async (req, reply) => {
      const { username, rules, sys } = req.body;
      const user = await mqttUsers.create(tenantOf(req), { username, rules: rules ?? [], sys }, actorOf(req));
      return reply.code(201).send(user);
    },
  });
  app.get('/mqtt-users/:username', {
    config: read,
    schema: {
      tags,
      summary: 'Get an MQTT user (never the secret)',
      params: MqttUserParams,
      response: { 200: MqttUserSchema },
    },
    handler: async (req) => mqttUsers.get(tenantOf(req), req.params.username),
  });
  app.patch('/mqtt-users/:username', {
    config: write('update'),
    schema: {
      tags,
      summary: 'Replace the rules and/or sys of an MQTT user; live sessions follow at once',
      params: MqttUserParams,
      body: MqttUserPatch,
      response: { 200: MqttUserSchema },
    },
    handler: async (req) => mqttUsers.update(tenantOf(req), req.params.username, req.body, actorOf(req)),
  });
  app.delete('/mqtt-users/:username', {
    config: write('delete'),
    schema: { tags, summary: 'Delete an MQTT user; its sessions end', params: MqttUserParams },
    handler: async (req, reply) => {
      await mqttUsers.delete(tenantOf(req), req.params.username, actorOf(req));
      return reply.code(204).send();
    },
  });
  app.post('/mqtt-users/:username/secret', {
    config: write('rotate-secret'),
    schema: {
      tags,
      summary: 'Replace the secret of an MQTT user (shown once); the old one stops working at once',
      params: MqttUserParams,
      response: { 200: MqttUserWithSecret },
    },
    handler: async (req) => mqttUsers.rotateSecret(tenantOf(req), req.params.username, actorOf(req)),
  });
};
