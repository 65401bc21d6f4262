import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { tenantOf } from '../../api/context.js';
import { ApiErrors } from '../../api/errors.js';
import { ListSchema, PageQuerySchema, pageQuery, toList } from '../../api/pagination.js';
import { PlexusError } from '../../core/errors.js';
import {
  CreatedDevice,
  CredentialParams,
  CredentialSchema,
  DeviceCreate,
  DevicePatch,
  DeviceQuery,
  DeviceSchema,
  IdParams,
  NewSecretBody,
  NewSecretSchema,
} from '../schemas.js';
import type { RegistryService } from '../service.js';

/** `["site=plant-1", "line=3"]` → `{site: "plant-1", line: "3"}`. */
function parseLabels(pairs: readonly string[] | undefined): Record<string, string> | undefined {
  if (!pairs?.length) return undefined;
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const key = pair.slice(0, at);
    if (!/^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/.test(key)) {
      throw new PlexusError(ApiErrors.VALIDATION, `label filter ${JSON.stringify(pair)} has an invalid key`, {
        errors: [{ path: '/querystring/label', message: 'key must match the label key pattern' }],
      });
    }
    out[key] = pair.slice(at + 1);
  }
  return out;
}

export const deviceRoutes: FastifyPluginAsyncTypebox<{ registry: RegistryService }> = async (
  app,
  { registry },
) => {
  const tags = ['devices'];
  const audit = (action: string, resource = 'device') => ({
    action: `${resource}.${action}`,
    resource,
    idParam: 'id',
    idBody: 'id',
  });

  app.get('/devices', {
    config: { permission: 'registry:read' },
    schema: {
      tags,
      summary: 'List devices, filtered by profile, group, status, labels or text',
      querystring: Type.Intersect([PageQuerySchema, DeviceQuery]),
      response: { 200: ListSchema(DeviceSchema) },
    },
    handler: async (req) => {
      const { profile, group, status, label, q } = req.query;
      const filter = { profile, group, status, labels: parseLabels(label), search: q };
      return toList(await registry.listDevices(tenantOf(req), filter, pageQuery(req.query)));
    },
  });
  app.post('/devices', {
    config: { permission: 'devices:write', audit: audit('create') },
    schema: {
      tags,
      summary: 'Register a device; the answer carries its secret, shown only this once',
      body: DeviceCreate,
      response: { 201: CreatedDevice },
    },
    handler: async (req, reply) => {
      const device = await registry.createDevice(tenantOf(req), req.body);
      req.auditId = device.id;
      return reply.code(201).send(device);
    },
  });
  app.get('/devices/:id', {
    config: { permission: 'registry:read' },
    schema: { tags, summary: 'Get a device', params: IdParams, response: { 200: DeviceSchema } },
    handler: async (req) => registry.getDevice(tenantOf(req), req.params.id),
  });
  app.patch('/devices/:id', {
    config: { permission: 'devices:write', audit: audit('update') },
    schema: {
      tags,
      summary: 'Change a device',
      params: IdParams,
      body: DevicePatch,
      response: { 200: DeviceSchema },
    },
    handler: async (req) => registry.updateDevice(tenantOf(req), req.params.id, req.body),
  });
  app.delete('/devices/:id', {
    config: { permission: 'devices:write', audit: audit('delete') },
    schema: { tags, summary: 'Delete a device and its credentials', params: IdParams },
    handler: async (req, reply) => {
      await registry.deleteDevice(tenantOf(req), req.params.id);
      return reply.code(204).send();
    },
  });

  app.post('/devices/:id/secrets', {
    config: { permission: 'devices:write', audit: audit('create', 'credential') },
    schema: {
      tags,
      summary: 'Issue a new secret for a device (old ones stay valid unless revokeOthers)',
      params: IdParams,
      body: NewSecretBody,
      response: { 201: NewSecretSchema },
    },
    // The body is optional: `POST .../secrets` with none means "just issue one".
    preValidation: async (req) => {
      req.body ??= {};
    },
    handler: async (req, reply) =>
      reply
        .code(201)
        .send(
          await registry.addSecret(tenantOf(req), req.params.id, { revokeOthers: req.body?.revokeOthers }),
        ),
  });
  app.get('/devices/:id/credentials', {
    config: { permission: 'registry:read' },
    schema: {
      tags,
      summary: "List a device's credentials (never the secrets)",
      params: IdParams,
      response: { 200: ListSchema(CredentialSchema) },
    },
    handler: async (req) => ({ items: await registry.listCredentials(tenantOf(req), req.params.id) }),
  });
  app.delete('/devices/:id/credentials/:credId', {
    config: { permission: 'devices:write', audit: audit('revoke', 'credential') },
    schema: { tags, summary: 'Revoke a credential; sessions using it are closed', params: CredentialParams },
    handler: async (req, reply) => {
      await registry.revokeCredential(tenantOf(req), req.params.id, req.params.credId);
      return reply.code(204).send();
    },
  });
};
