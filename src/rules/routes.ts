import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { actorOf, authOf, tenantOf } from '../api/context.js';
import { ListSchema, PageQuerySchema, pageQuery, toList } from '../api/pagination.js';
import { can } from '../auth/index.js';
import type { DryRun } from './dry-run.js';
import type { Rule, RuleService, RuleVersion } from './service.js';
import type { RuleSpec } from './spec.js';

const Name = Type.String({ minLength: 1, maxLength: 128 });
const NameParams = Type.Object({ name: Name });
/**
 * Any object: the service checks the document and names every problem by
 * its exact path (RULE_INVALID), which a schema here would only blur.
 */
const RuleDocument = Type.Object(
  {},
  { additionalProperties: true, description: 'The rule document (see docs: rules).' },
);
/** The checked document with defaults filled in (RuleSpec); described in the rules docs, not here. */
const Spec = Type.Unsafe<RuleSpec>(Type.Object({}, { additionalProperties: true }));
const RuleSchema = Type.Object({
  name: Type.String(),
  version: Type.Integer(),
  enabled: Type.Boolean(),
  spec: Spec,
  createdAt: Type.String(),
  updatedAt: Type.String(),
  updatedBy: Type.String(),
});
const VersionSchema = Type.Object({
  version: Type.Integer(),
  spec: Spec,
  createdAt: Type.String(),
  createdBy: Type.String(),
});
const ApplyBody = Type.Object(
  { rules: Type.Array(RuleDocument, { maxItems: 1000, description: 'Rule documents, all or nothing.' }) },
  { additionalProperties: false },
);
const ApplyAnswer = Type.Object({
  results: Type.Array(
    Type.Object({
      name: Type.String(),
      version: Type.Integer(),
      change: Type.Enum(['created', 'updated', 'unchanged']),
    }),
  ),
});

const Time = Type.Union([Type.Integer(), Type.String({ maxLength: 64 })], {
  description: 'Epoch ms or ISO 8601',
});
const DryRunRange = {
  from: Type.Optional(Time),
  to: Type.Optional(Time),
  devices: Type.Optional(Type.Array(Type.String(), { description: 'Only these targeted devices' })),
};
const DryRunAnswer = Type.Object({
  rule: Type.String(),
  from: Type.Integer(),
  to: Type.Integer(),
  tickMs: Type.Integer(),
  devices: Type.Integer(),
  points: Type.Integer(),
  events: Type.Integer(),
  firings: Type.Array(
    Type.Object({
      device: Type.String(),
      at: Type.Integer(),
      until: Type.Union([Type.Integer(), Type.Null()]),
      key: Type.Optional(Type.String()),
      value: Type.Optional(Type.Union([Type.Number(), Type.Boolean(), Type.String()])),
      acts: Type.Boolean(),
    }),
  ),
  total: Type.Integer(),
  truncated: Type.Boolean(),
  notes: Type.Array(Type.String()),
});

const HIDDEN = '(hidden)';

/**
 * Webhook signing keys are for those who may write rules: a viewer or an
 * operator reads `(hidden)` instead.
 */
function shown<T extends Rule | RuleVersion>(req: FastifyRequest, r: T): T {
  if (can(authOf(req).principal, 'profiles:write')) return r;
  if (!r.spec.actions.some((a) => a.secret !== undefined)) return r;
  const actions = r.spec.actions.map((a) => (a.secret === undefined ? a : { ...a, secret: HIDDEN }));
  return { ...r, spec: { ...r.spec, actions } };
}

/**
 * Rules under /api/v1 (issue #6). Reading needs `registry:read`; writing
 * needs `profiles:write`, so only admins shape what the fleet reacts to:
 * a rule can send commands to and change the twins of many devices at
 * once, which is more than an operator's device-by-device rights.
 */
export const ruleRoutes: FastifyPluginAsyncTypebox<{ rules: RuleService; dryRun: DryRun }> = async (
  app,
  { rules, dryRun },
) => {
  const tags = ['rules'];
  const audit = (action: string, id: { idParam?: string; idBody?: string } = { idParam: 'name' }) => ({
    action: `rule.${action}`,
    resource: 'rule',
    ...id,
  });

  app.get('/rules', {
    config: { permission: 'registry:read' },
    schema: {
      tags,
      summary: 'Rules of the tenant, by name',
      querystring: Type.Object(
        { ...PageQuerySchema.properties, enabled: Type.Optional(Type.Boolean()) },
        { additionalProperties: false },
      ),
      response: { 200: ListSchema(RuleSchema) },
    },
    handler: async (req) => {
      const q = {
        ...pageQuery(req.query),
        ...(req.query.enabled === undefined ? {} : { enabled: req.query.enabled }),
      };
      const page = await rules.list(tenantOf(req), q);
      return toList({ ...page, items: page.items.map((r) => shown(req, r)) });
    },
  });

  app.get('/rules/:name', {
    config: { permission: 'registry:read' },
    schema: { tags, summary: 'One rule', params: NameParams, response: { 200: RuleSchema } },
    handler: async (req) => shown(req, await rules.get(tenantOf(req), req.params.name)),
  });

  app.get('/rules/:name/versions', {
    config: { permission: 'registry:read' },
    schema: {
      tags,
      summary: 'Every version of a rule, newest first',
      params: NameParams,
      response: { 200: Type.Object({ items: Type.Array(VersionSchema) }) },
    },
    handler: async (req) => ({
      items: (await rules.versions(tenantOf(req), req.params.name)).map((v) => shown(req, v)),
    }),
  });

  app.put('/rules/:name', {
    config: { permission: 'profiles:write', audit: audit('save') },
    schema: {
      tags,
      summary: 'Create (201) or replace (200) a rule; an identical document adds no version',
      params: NameParams,
      body: RuleDocument,
      response: { 200: RuleSchema, 201: RuleSchema },
    },
    handler: async (req, reply) => {
      const { rule, change } = await rules.save(tenantOf(req), req.body, actorOf(req), req.params.name);
      return reply.code(change === 'created' ? 201 : 200).send(rule);
    },
  });

  app.post('/rules', {
    config: { permission: 'profiles:write', audit: audit('save', { idBody: 'name' }) },
    schema: {
      tags,
      summary: 'Create or replace the rule the document names (as PUT /rules/{name})',
      body: RuleDocument,
      response: { 200: RuleSchema, 201: RuleSchema },
    },
    handler: async (req, reply) => {
      const { rule, change } = await rules.save(tenantOf(req), req.body, actorOf(req));
      return reply.code(change === 'created' ? 201 : 200).send(rule);
    },
  });

  app.post('/rules/apply', {
    config: { permission: 'profiles:write', audit: audit('apply', {}) },
    schema: {
      tags,
      summary: 'Create or replace a set of rules, all or nothing (`plexus rules apply`)',
      body: ApplyBody,
      response: { 200: ApplyAnswer },
    },
    handler: async (req) => ({ results: await rules.apply(tenantOf(req), req.body.rules, actorOf(req)) }),
  });

  for (const verb of ['enable', 'disable'] as const) {
    app.post(`/rules/:name/${verb}`, {
      config: { permission: 'profiles:write', audit: audit(verb) },
      schema: {
        tags,
        summary: `${verb === 'enable' ? 'Enable' : 'Disable'} a rule (a new version unless it already is)`,
        params: NameParams,
        response: { 200: RuleSchema },
      },
      handler: async (req) => (await rules[verb](tenantOf(req), req.params.name, actorOf(req))).rule,
    });
  }

  // A dry run changes nothing, but reads many devices' history: it is recorded like a change.
  app.post('/rules/dry-run', {
    config: { permission: 'telemetry:read', audit: audit('dry-run', {}) },
    schema: {
      tags,
      summary: 'Replay a rule document (not saved) against stored history: when would it have fired?',
      body: Type.Object({ rule: RuleDocument, ...DryRunRange }, { additionalProperties: false }),
      response: { 200: DryRunAnswer },
    },
    handler: async (req) => dryRun.runDocument(tenantOf(req), req.body.rule, req.body),
  });

  app.post('/rules/:name/dry-run', {
    config: { permission: 'telemetry:read', audit: audit('dry-run') },
    schema: {
      tags,
      summary: 'Replay a saved rule (enabled or not) against stored history',
      params: NameParams,
      body: Type.Optional(Type.Object(DryRunRange, { additionalProperties: false })),
      response: { 200: DryRunAnswer },
    },
    handler: async (req) => {
      const rule = await rules.get(tenantOf(req), req.params.name);
      return dryRun.runSaved(tenantOf(req), rule.spec, req.body ?? {});
    },
  });

  app.delete('/rules/:name', {
    config: { permission: 'profiles:write', audit: audit('delete') },
    schema: { tags, summary: 'Delete a rule and all its versions', params: NameParams },
    handler: async (req, reply) => {
      await rules.delete(tenantOf(req), req.params.name);
      return reply.code(204).send();
    },
  });
};
