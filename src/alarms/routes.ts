import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { actorOf, tenantOf } from '../api/context.js';
import { ListSchema, PageQuerySchema, pageQuery, toList } from '../api/pagination.js';
import { ALARM_SEVERITIES, ALARM_STATUSES, type AlarmSeverity, type AlarmStatus } from './model.js';
import { type AlarmService, MAX_COMMENT } from './service.js';

const Id = Type.String({ minLength: 1, maxLength: 128 });
const Text = (description: string) => Type.String({ minLength: 1, maxLength: MAX_COMMENT, description });
const Counts = (description: string) => Type.Record(Type.String(), Type.Integer(), { description });
const AlarmSchema = Type.Object({
  id: Type.String(),
  device: Type.String(),
  rule: Type.Optional(Type.String()),
  type: Type.String(),
  severity: Type.String(),
  status: Type.String(),
  message: Type.String(),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  raisedAt: Type.Number(),
  lastAt: Type.Number(),
  count: Type.Integer(),
  acknowledgedAt: Type.Optional(Type.Number()),
  acknowledgedBy: Type.Optional(Type.String()),
  clearedAt: Type.Optional(Type.Number()),
  clearedBy: Type.Optional(Type.String()),
});
const CommentSchema = Type.Object({ at: Type.Number(), author: Type.String(), text: Type.String() });
const NoteBody = Type.Object(
  { comment: Type.Optional(Text('Kept in the alarm’s history (1-2000 characters).')) },
  { additionalProperties: false },
);
const ListQuery = Type.Object(
  {
    ...PageQuerySchema.properties,
    status: Type.Optional(
      Type.Enum([...ALARM_STATUSES, 'open'], { description: '`open` = active or acknowledged.' }),
    ),
    severity: Type.Optional(Type.Enum([...ALARM_SEVERITIES])),
    device: Type.Optional(Id),
    type: Type.Optional(Id),
    rule: Type.Optional(Id),
  },
  { additionalProperties: false },
);

// The body is optional: `POST .../acknowledge` with none means "no comment".
const emptyBody = async (req: FastifyRequest) => {
  req.body ??= {};
};

/** Alarms under /api/v1 (issue #6): list, counts, one with its history, acknowledge, clear, comment. */
export const alarmRoutes: FastifyPluginAsyncTypebox<{ alarms: AlarmService }> = async (app, { alarms }) => {
  const tags = ['alarms'];
  const audit = (action: string) => ({ action: `alarm.${action}`, resource: 'alarm', idParam: 'id' });

  app.get('/alarms', {
    config: { permission: 'telemetry:read' },
    schema: {
      tags,
      summary: 'Alarms of the tenant, newest first (filter by status, severity, device, type, rule)',
      querystring: ListQuery,
      response: { 200: ListSchema(AlarmSchema) },
    },
    handler: async (req) => {
      const q = req.query;
      return toList(
        await alarms.list(tenantOf(req), {
          ...pageQuery(q),
          ...(q.status ? { status: q.status as AlarmStatus | 'open' } : {}),
          ...(q.severity ? { severity: q.severity as AlarmSeverity } : {}),
          ...(q.device ? { device: q.device } : {}),
          ...(q.type ? { type: q.type } : {}),
          ...(q.rule ? { rule: q.rule } : {}),
        }),
      );
    },
  });

  app.get('/alarms/counts', {
    config: { permission: 'telemetry:read' },
    schema: {
      tags,
      summary: 'Alarm counts of the tenant, or of one device (?device=)',
      querystring: Type.Object({ device: Type.Optional(Id) }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          total: Type.Integer({ description: 'Open alarms (active or acknowledged).' }),
          devices: Type.Integer({ description: 'Devices with at least one open alarm.' }),
          bySeverity: Counts('Open alarms per severity.'),
          byStatus: Counts('All alarms per status, cleared ones included.'),
        }),
      },
    },
    handler: async (req) => alarms.counts(tenantOf(req), req.query.device),
  });

  app.get('/alarms/:id', {
    config: { permission: 'telemetry:read' },
    schema: {
      tags,
      summary: 'One alarm with its comments, oldest first',
      params: Type.Object({ id: Id }),
      response: {
        200: Type.Object({ ...AlarmSchema.properties, comments: Type.Array(CommentSchema) }),
      },
    },
    handler: async (req) => {
      const tenant = tenantOf(req);
      const alarm = await alarms.get(tenant, req.params.id);
      return { ...alarm, comments: await alarms.comments(tenant, req.params.id) };
    },
  });

  // Acknowledge and clear differ only in the verb: both take an optional comment and answer the alarm.
  for (const verb of ['acknowledge', 'clear'] as const) {
    app.post(`/alarms/:id/${verb}`, {
      config: { permission: 'devices:write', audit: audit(verb) },
      schema: {
        tags,
        summary: `${verb === 'acknowledge' ? 'Acknowledge' : 'Clear'} an alarm (409 when it is already cleared)`,
        params: Type.Object({ id: Id }),
        body: NoteBody,
        response: { 200: AlarmSchema },
      },
      preValidation: emptyBody,
      handler: async (req) => alarms[verb](tenantOf(req), req.params.id, actorOf(req), req.body.comment),
    });
  }

  app.post('/alarms/:id/comments', {
    config: { permission: 'devices:write', audit: audit('comment') },
    schema: {
      tags,
      summary: 'Add a comment to an alarm’s history',
      params: Type.Object({ id: Id }),
      body: Type.Object({ text: Text('The comment (1-2000 characters).') }, { additionalProperties: false }),
      response: { 201: CommentSchema },
    },
    handler: async (req, reply) => {
      const c = await alarms.comment(tenantOf(req), req.params.id, actorOf(req), req.body.text);
      return reply.code(201).send(c);
    },
  });
};
