import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { tenantOf } from '../api/context.js';
import type { ActionService } from './service.js';

const ItemSchema = Type.Object({
  id: Type.String(),
  rule: Type.String(),
  device: Type.String(),
  kind: Type.String(),
  action: Type.Record(Type.String(), Type.Unknown()),
  status: Type.String(),
  attempts: Type.Integer(),
  createdAt: Type.Number(),
  nextAt: Type.Number(),
  doneAt: Type.Optional(Type.Number()),
  lastError: Type.Optional(Type.String()),
});

/**
 * The outbox under /api/v1 (issue #6: "failures are visible"): rule actions
 * waiting, done or failed, newest first. Webhook secrets are never shown.
 */
export const actionRoutes: FastifyPluginAsyncTypebox<{ actions: ActionService }> = async (
  app,
  { actions },
) => {
  app.get('/actions', {
    config: { permission: 'registry:read' },
    schema: {
      tags: ['rules'],
      summary: 'Rule actions in the outbox, newest first (status=failed shows what never went through)',
      querystring: Type.Object(
        {
          status: Type.Optional(Type.Enum(['pending', 'done', 'failed'])),
          rule: Type.Optional(Type.String({ maxLength: 128 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
        },
        { additionalProperties: false },
      ),
      response: { 200: Type.Object({ items: Type.Array(ItemSchema) }) },
    },
    handler: async (req) => {
      const q = req.query;
      const items = await actions.list(tenantOf(req), {
        limit: q.limit ?? 100,
        ...(q.status ? { status: q.status } : {}),
        ...(q.rule ? { rule: q.rule } : {}),
      });
      return {
        items: items.map(({ tenant: _t, ...i }) => ({
          ...i,
          action: i.action.secret === undefined ? i.action : { ...i.action, secret: '(hidden)' },
        })),
      };
    },
  });
};
