import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { tenantOf } from '../api/context.js';
import { PlexusError } from '../core/errors.js';
import { TwinErrors } from './errors.js';
import type { TwinService, TwinView } from './service.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });
const Doc = Type.Record(Type.String(), Type.Unknown());
const TwinSchema = Type.Object({
  desired: Doc,
  reported: Doc,
  delta: Doc,
  version: Type.Integer(),
  desiredVersion: Type.Integer(),
  reportedVersion: Type.Integer(),
  metadata: Type.Object({
    desired: Type.Record(Type.String(), Type.Number()),
    reported: Type.Record(Type.String(), Type.Number()),
  }),
});
const PatchBody = Type.Object(
  {
    desired: Type.Record(Type.String(), Type.Unknown(), {
      description: 'JSON merge patch (RFC 7386) of the desired state: objects merge, null deletes a key.',
    }),
  },
  { additionalProperties: false },
);
const IfMatch = Type.Object({
  'if-match': Type.Optional(
    Type.String({ maxLength: 40, description: 'The version read (its ETag); a stale one gets 412.' }),
  ),
});

/** `"7"`, `W/"7"` or `7` → 7; `*` → undefined (any version). */
function versionOf(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const m = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(header);
  if (!m) {
    throw new PlexusError(TwinErrors.INVALID, 'If-Match must be the twin version from its ETag, e.g. "7"', {
      errors: [{ path: '/headers/if-match', message: 'not a twin version' }],
    });
  }
  return Number(m[1]);
}

const etag = (t: TwinView) => `"${t.version}"`;

/** Device twins under /api/v1 (ARCHITECTURE §6.1). */
export const twinRoutes: FastifyPluginAsyncTypebox<{ twins: TwinService }> = async (app, { twins }) => {
  const tags = ['twins'];
  app.get('/devices/:id/twin', {
    config: { permission: 'registry:read' },
    schema: {
      tags,
      summary: "A device's twin: desired, reported, their delta and versions (ETag: the version)",
      params: IdParams,
      response: { 200: TwinSchema },
    },
    handler: async (req, reply) => {
      const twin = await twins.get(tenantOf(req), req.params.id);
      return reply.header('etag', etag(twin)).send(twin);
    },
  });
  app.patch('/devices/:id/twin', {
    config: {
      permission: 'devices:write',
      audit: { action: 'twin.update', resource: 'twin', idParam: 'id' },
    },
    schema: {
      tags,
      summary: 'Change the desired state (merge patch; If-Match for optimistic concurrency)',
      params: IdParams,
      headers: IfMatch,
      body: PatchBody,
      response: { 200: TwinSchema },
    },
    handler: async (req, reply) => {
      const twin = await twins.patchDesired(
        tenantOf(req),
        req.params.id,
        req.body.desired,
        versionOf(req.headers['if-match']),
      );
      return reply.header('etag', etag(twin)).send(twin);
    },
  });
};
