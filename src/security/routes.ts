import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { tenantOf } from '../api/context.js';
import { ApiErrors } from '../api/errors.js';
import { ListSchema, PageQuerySchema, pageQuery, toList } from '../api/pagination.js';
import { PlexusError } from '../core/errors.js';
import type { AuditService } from './audit.js';

const AuditSchema = Type.Object({
  seq: Type.Integer(),
  ts: Type.String(),
  tenant: Type.String(),
  actor: Type.String(),
  action: Type.String(),
  resource: Type.String(),
  resourceId: Type.Union([Type.String(), Type.Null()]),
  status: Type.Integer(),
  ip: Type.Union([Type.String(), Type.Null()]),
  details: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
});

const AuditFilter = Type.Object({
  action: Type.Optional(Type.String({ maxLength: 100 })),
  actor: Type.Optional(Type.String({ maxLength: 200 })),
  resource: Type.Optional(Type.String({ maxLength: 100 })),
  resourceId: Type.Optional(Type.String({ maxLength: 200 })),
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
});

export const auditRoutes: FastifyPluginAsyncTypebox<{ audit: AuditService }> = async (app, { audit }) => {
  app.get('/audit', {
    config: { permission: 'audit:read' },
    schema: {
      tags: ['audit'],
      summary: 'The audit trail of the tenant, newest first',
      querystring: Type.Intersect([PageQuerySchema, AuditFilter]),
      response: { 200: ListSchema(AuditSchema) },
    },
    handler: async (req) => {
      const { limit, after } = pageQuery(req.query);
      if (after !== undefined && !/^\d{1,15}$/.test(after)) {
        throw new PlexusError(
          ApiErrors.INVALID_CURSOR,
          'cursor is not valid; pass the `next` value of a previous page unchanged',
        );
      }
      const { action, actor, resource, resourceId, from, to } = req.query;
      // Stored times are UTC ISO strings; normalise offsets so comparisons hold.
      const iso = (t: string | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
      const q = { limit, after, action, actor, resource, resourceId, from: iso(from), to: iso(to) };
      return toList(await audit.list(tenantOf(req), q));
    },
  });
};
