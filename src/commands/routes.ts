import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { actorOf, tenantOf } from '../api/context.js';
import { ListSchema, PageQuerySchema, pageQuery, toList } from '../api/pagination.js';
import { PlexusError } from '../core/errors.js';
import { CommandErrors } from './errors.js';
import { COMMAND_STATUSES, type CommandStatus, parseDuration } from './model.js';
import type { CommandService } from './service.js';

const Id = Type.String({ minLength: 1, maxLength: 128 });
// Loose shapes here: the service checks the fields and names the one that is wrong (COMMAND_INVALID).
const CommandFields = {
  name: Type.String({
    maxLength: 256,
    description: 'What the device should do, e.g. `shutdown` (1-64 characters).',
  }),
  params: Type.Optional(Type.Unknown({ description: 'Arguments: a JSON object of at most 64 KiB.' })),
  timeout: Type.Optional(
    Type.Unknown({ description: 'Answer expected within: `30s`, `5m` or seconds (1s-1d).' }),
  ),
  ttl: Type.Optional(Type.Unknown({ description: 'Delivery within: `10m`, `1d` or seconds (1s-30d).' })),
  oneWay: Type.Optional(Type.Boolean({ description: 'No answer expected: finished once delivered.' })),
};
const CommandBody = Type.Object(CommandFields, { additionalProperties: false });
const Rate = Type.Optional(
  Type.Integer({ minimum: 1, maximum: 10_000, description: 'Commands offered per second (default 100).' }),
);
const GroupCommandBody = Type.Object({ ...CommandFields, rate: Rate }, { additionalProperties: false });
const BatchBody = Type.Object(
  {
    ...CommandFields,
    rate: Rate,
    target: Type.Object(
      {
        group: Type.Optional(Id),
        profile: Type.Optional(Id),
        labels: Type.Optional(Type.Record(Type.String(), Type.String())),
      },
      { additionalProperties: false, minProperties: 1, description: 'Devices matching all that is given.' },
    ),
  },
  { additionalProperties: false },
);
const CommandSchema = Type.Object({
  id: Type.String(),
  device: Type.String(),
  name: Type.String(),
  params: Type.Record(Type.String(), Type.Unknown()),
  oneWay: Type.Boolean(),
  status: Type.String(),
  createdAt: Type.Number(),
  expiresAt: Type.Number(),
  timeoutMs: Type.Number(),
  sentAt: Type.Optional(Type.Number()),
  deliveredAt: Type.Optional(Type.Number()),
  completedAt: Type.Optional(Type.Number()),
  result: Type.Optional(Type.Unknown()),
  error: Type.Optional(Type.Unknown()),
  actor: Type.String(),
  batch: Type.Optional(Type.String()),
});
const BatchCreated = Type.Object({
  id: Type.String(),
  total: Type.Integer(),
  items: Type.Array(Type.Object({ device: Type.String(), commandId: Type.String(), status: Type.String() })),
});
const Status = Type.Optional(Type.Enum([...COMMAND_STATUSES]));
const WaitQuery = Type.Object(
  {
    wait: Type.Optional(
      Type.String({
        maxLength: 10,
        description: 'Wait up to this long for the result, e.g. `10s` (max 60s).',
      }),
    ),
  },
  { additionalProperties: false },
);

const MAX_WAIT_MS = 60_000;

function waitMs(text: string | undefined): number {
  if (text === undefined) return 0;
  const ms = parseDuration(text);
  if (ms === undefined || ms > MAX_WAIT_MS) {
    throw new PlexusError(CommandErrors.INVALID, 'wait must be a duration up to 60s, e.g. "10s"', {
      errors: [{ path: '/querystring/wait', message: 'not a duration up to 60s' }],
    });
  }
  return ms;
}

/** Commands under /api/v1 (ARCHITECTURE §6.1): send, wait, list, cancel, group sends. */
export const commandRoutes: FastifyPluginAsyncTypebox<{ commands: CommandService }> = async (
  app,
  { commands },
) => {
  const tags = ['commands'];
  const audit = (action: string, idParam?: string) => ({
    action: `command.${action}`,
    resource: 'command',
    ...(idParam ? { idParam } : {}),
  });

  /** Both list routes: paging plus the filters given. */
  const list = async (
    tenant: string,
    q: { limit?: number; cursor?: string; status?: string; device?: string; batch?: string },
  ) =>
    toList(
      await commands.list(tenant, {
        ...pageQuery(q),
        ...(q.status ? { status: q.status as CommandStatus } : {}),
        ...(q.device ? { device: q.device } : {}),
        ...(q.batch ? { batch: q.batch } : {}),
      }),
    );

  app.post('/devices/:id/commands', {
    config: { permission: 'devices:write', audit: audit('create') },
    schema: {
      tags,
      summary: 'Send a command to a device (?wait=10s answers with the result when it comes in time)',
      params: Type.Object({ id: Id }),
      querystring: WaitQuery,
      body: CommandBody,
      response: { 201: CommandSchema },
    },
    handler: async (req, reply) => {
      const wait = waitMs(req.query.wait);
      const tenant = tenantOf(req);
      const sent = await commands.send(tenant, req.params.id, req.body, actorOf(req), { audited: true });
      req.auditId = sent.id;
      const c = wait > 0 ? await commands.wait(tenant, sent.id, wait) : sent;
      return reply.code(201).send(c);
    },
  });

  app.get('/devices/:id/commands', {
    config: { permission: 'registry:read' },
    schema: {
      tags,
      summary: "A device's commands, newest first",
      params: Type.Object({ id: Id }),
      querystring: Type.Object(
        { ...PageQuerySchema.properties, status: Status },
        { additionalProperties: false },
      ),
      response: { 200: ListSchema(CommandSchema) },
    },
    handler: async (req) => list(tenantOf(req), { ...req.query, device: req.params.id }),
  });

  app.get('/commands', {
    config: { permission: 'registry:read' },
    schema: {
      tags,
      summary: 'Commands of the tenant, newest first (filter by device, status, group send)',
      querystring: Type.Object(
        {
          ...PageQuerySchema.properties,
          status: Status,
          device: Type.Optional(Id),
          batch: Type.Optional(Id),
        },
        { additionalProperties: false },
      ),
      response: { 200: ListSchema(CommandSchema) },
    },
    handler: async (req) => list(tenantOf(req), req.query),
  });

  app.get('/commands/:cmdId', {
    config: { permission: 'registry:read' },
    schema: {
      tags,
      summary: 'One command (?wait=10s waits for it to finish)',
      params: Type.Object({ cmdId: Id }),
      querystring: WaitQuery,
      response: { 200: CommandSchema },
    },
    handler: async (req) => commands.wait(tenantOf(req), req.params.cmdId, waitMs(req.query.wait)),
  });

  app.post('/commands/:cmdId/cancel', {
    config: { permission: 'devices:write', audit: audit('cancel', 'cmdId') },
    schema: {
      tags,
      summary: 'Cancel an unfinished command (409 when it already finished)',
      params: Type.Object({ cmdId: Id }),
      response: { 200: CommandSchema },
    },
    handler: async (req) => commands.cancel(tenantOf(req), req.params.cmdId),
  });

  app.post('/groups/:gid/commands', {
    config: { permission: 'devices:write', audit: audit('group-send', 'gid') },
    schema: {
      tags,
      summary: 'Send a command to every device of a group, paced at `rate` per second',
      params: Type.Object({ gid: Id }),
      body: GroupCommandBody,
      response: { 201: BatchCreated },
    },
    handler: async (req, reply) => {
      const { rate, ...input } = req.body;
      const batch = await commands.sendToMany(
        tenantOf(req),
        { group: req.params.gid },
        input,
        actorOf(req),
        rate,
      );
      return reply.code(201).send(batch);
    },
  });

  app.post('/commands/batches', {
    config: { permission: 'devices:write', audit: audit('group-send') },
    schema: {
      tags,
      summary: 'Send a command to every device matching a target (group, profile, labels), paced',
      body: BatchBody,
      response: { 201: BatchCreated },
    },
    handler: async (req, reply) => {
      const { rate, target, ...input } = req.body;
      const batch = await commands.sendToMany(tenantOf(req), target, input, actorOf(req), rate, {
        audited: true,
      });
      req.auditId = batch.id;
      return reply.code(201).send(batch);
    },
  });

  app.get('/commands/batches/:batchId', {
    config: { permission: 'registry:read' },
    schema: {
      tags,
      summary: 'A group send: its target and how many commands are in each status',
      params: Type.Object({ batchId: Id }),
      response: {
        200: Type.Object({
          id: Type.String(),
          name: Type.String(),
          target: Type.Record(Type.String(), Type.Unknown()),
          total: Type.Integer(),
          createdAt: Type.Number(),
          counts: Type.Record(Type.String(), Type.Integer()),
        }),
      },
    },
    handler: async (req) => commands.batch(tenantOf(req), req.params.batchId),
  });
};
