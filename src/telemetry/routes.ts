import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { tenantOf } from '../api/context.js';
import { ApiErrors } from '../api/errors.js';
import { PageQuerySchema, pageQuery, toList } from '../api/pagination.js';
import { PlexusError } from '../core/errors.js';
import type { RegistryService } from '../registry/index.js';
import { TelemetryErrors } from './errors.js';
import { type Aggregate, parseAggregates, parseInterval, parseTime } from './model.js';
import { type HistoryQuery, MAX_RAW_LIMIT } from './queries.js';
import type { TelemetryService } from './service.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });
const HistoryFields = {
  keys: Type.Optional(
    Type.String({ maxLength: 4000, description: 'Comma-separated keys (default: all keys of the device).' }),
  ),
  from: Type.Optional(
    Type.String({ maxLength: 40, description: 'Epoch ms or ISO 8601 (default: 24 hours before `to`).' }),
  ),
  to: Type.Optional(Type.String({ maxLength: 40, description: 'Epoch ms or ISO 8601 (default: now).' })),
  agg: Type.Optional(
    Type.String({ maxLength: 100, description: 'Comma list of min,max,avg,sum,count,first,last.' }),
  ),
  interval: Type.Optional(Type.String({ maxLength: 20, description: 'Bucket width: 30s, 5m, 1h, 1d.' })),
  points: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 10_000, description: 'About this many buckets (charts).' }),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_RAW_LIMIT, default: 1000 })),
  cursor: Type.Optional(Type.String({ maxLength: 400 })),
};
const HistoryQuerySchema = Type.Object(HistoryFields, { additionalProperties: false });
const MultiQuerySchema = Type.Object(
  {
    devices: Type.String({ minLength: 1, maxLength: 4000, description: 'Comma-separated device ids.' }),
    ...HistoryFields,
  },
  { additionalProperties: false },
);
const ExportQuerySchema = Type.Object(
  {
    keys: HistoryFields.keys,
    from: HistoryFields.from,
    to: HistoryFields.to,
    format: Type.Optional(Type.Enum(['csv', 'json', 'ndjson'], { default: 'csv' })),
  },
  { additionalProperties: false },
);
const EventsQuerySchema = Type.Object(
  {
    from: HistoryFields.from,
    to: HistoryFields.to,
    type: Type.Optional(Type.String({ maxLength: 128 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    cursor: Type.Optional(Type.String({ maxLength: 40 })),
  },
  { additionalProperties: false },
);
const Value = Type.Union([Type.Number(), Type.Boolean(), Type.String()]);
const LatestSchema = Type.Record(Type.String(), Type.Object({ ts: Type.Number(), value: Value }));

const badCursor = () => new PlexusError(ApiErrors.INVALID_CURSOR, 'cursor is not one this API returned');

const bad = (message: string, path: string) =>
  new PlexusError(TelemetryErrors.BAD_QUERY, message, {
    errors: [{ path: `/querystring/${path}`, message }],
  });

function timeParam(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  const t = parseTime(text);
  if (t === undefined) throw bad(`${name} must be epoch milliseconds or an ISO 8601 time`, name);
  return t;
}

const list = (s: string | undefined) =>
  s === undefined
    ? []
    : s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== '');

/**
 * Telemetry and event reads under /api/v1 (ARCHITECTURE §6.1): latest
 * values, history (raw or aggregated, one device or several), streamed
 * exports, events. Devices of another tenant answer 404.
 */
export const telemetryRoutes: FastifyPluginAsyncTypebox<{
  telemetry: TelemetryService;
  registry: RegistryService;
}> = async (app, { telemetry, registry }) => {
  const tags = ['telemetry'];
  const now = () => Date.now();

  async function historyQuery(
    tenant: string,
    devices: string[],
    q: {
      keys?: string;
      from?: string;
      to?: string;
      agg?: string;
      interval?: string;
      points?: number;
      limit?: number;
      cursor?: string;
    },
  ): Promise<HistoryQuery> {
    for (const d of devices) await registry.getDevice(tenant, d); // 404 for unknown / other tenants'
    let keys = list(q.keys);
    if (keys.length === 0)
      keys = [...new Set((await Promise.all(devices.map((d) => telemetry.keys(tenant, d)))).flat())].sort();
    const to = timeParam(q.to, now(), 'to');
    const from = timeParam(q.from, to - 86_400_000, 'from');
    let agg: Aggregate[] | undefined;
    if (q.agg !== undefined) {
      agg = parseAggregates(q.agg);
      if (!agg) throw bad('agg must be a comma list of min, max, avg, sum, count, first, last', 'agg');
    }
    let interval: number | undefined;
    if (q.interval !== undefined) {
      interval = parseInterval(q.interval);
      if (interval === undefined) throw bad('interval must look like 500ms, 30s, 5m, 1h or 1d', 'interval');
    }
    return {
      tenant,
      devices,
      keys,
      from,
      to,
      ...(agg ? { agg } : {}),
      ...(interval === undefined ? {} : { interval }),
      ...(q.points === undefined ? {} : { points: q.points }),
      limit: q.limit ?? 1000,
      ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
    };
  }

  app.get('/telemetry/positions', {
    config: { permission: 'telemetry:read' },
    schema: {
      tags,
      summary:
        'Where devices are: the latest latitude and longitude of each device that reports them (the map)',
      querystring: Type.Intersect([
        PageQuerySchema,
        Type.Object({
          lat: Type.Optional(Type.String({ maxLength: 128, default: 'lat', description: 'Latitude key.' })),
          lon: Type.Optional(Type.String({ maxLength: 128, default: 'lon', description: 'Longitude key.' })),
        }),
      ]),
      response: {
        200: Type.Object({
          items: Type.Array(
            Type.Object({ device: Type.String(), lat: Type.Number(), lon: Type.Number(), ts: Type.Number() }),
          ),
          next: Type.Optional(Type.String()),
        }),
      },
    },
    handler: async (req) => {
      const tenant = tenantOf(req);
      const latKey = req.query.lat ?? 'lat';
      const lonKey = req.query.lon ?? 'lon';
      // A page of devices, then each one's latest values (served from memory once read).
      const page = await registry.listDevices(tenant, {}, pageQuery(req.query));
      const items: { device: string; lat: number; lon: number; ts: number }[] = [];
      for (const d of page.items) {
        const v = await telemetry.latest(tenant, d.id);
        const lat = v[latKey];
        const lon = v[lonKey];
        if (typeof lat?.value !== 'number' || typeof lon?.value !== 'number') continue;
        if (Math.abs(lat.value) > 90 || Math.abs(lon.value) > 180) continue;
        items.push({ device: d.id, lat: lat.value, lon: lon.value, ts: Math.max(lat.ts, lon.ts) });
      }
      const { next } = toList(page);
      return next === undefined ? { items } : { items, next };
    },
  });

  app.get('/devices/:id/telemetry/latest', {
    config: { permission: 'telemetry:read' },
    schema: {
      tags,
      summary: 'Latest value of each key of a device',
      params: IdParams,
      response: { 200: LatestSchema },
    },
    handler: async (req) => {
      const tenant = tenantOf(req);
      await registry.getDevice(tenant, req.params.id);
      return telemetry.latest(tenant, req.params.id);
    },
  });

  app.get('/devices/:id/telemetry', {
    config: { permission: 'telemetry:read' },
    schema: {
      tags,
      summary: 'History of a device: raw points (paged) or aggregates over intervals',
      description:
        'Without agg/interval/points: raw `{items: [{key, ts, value}], next?}`. With any of them: `{items: [{key, ts, min, max, avg, ...}], interval}` with ts the bucket start; long ranges are read from per-minute/per-hour rollups.',
      params: IdParams,
      querystring: HistoryQuerySchema,
    },
    handler: async (req) => {
      const result = await telemetry.history(await historyQuery(tenantOf(req), [req.params.id], req.query));
      return { ...result, items: result.items.map(({ device: _d, ...rest }) => rest) };
    },
  });

  app.get('/telemetry', {
    config: { permission: 'telemetry:read' },
    schema: {
      tags,
      summary: 'History of several devices and keys in one call',
      querystring: MultiQuerySchema,
    },
    handler: async (req) => {
      const devices = list(req.query.devices);
      if (devices.length > 100) throw bad('at most 100 devices per call', 'devices');
      return telemetry.history(await historyQuery(tenantOf(req), devices, req.query));
    },
  });

  app.get('/devices/:id/telemetry/export', {
    config: { permission: 'telemetry:read' },
    schema: {
      tags,
      summary: 'Export raw points as CSV, JSON or NDJSON, streamed (large ranges welcome)',
      params: IdParams,
      querystring: ExportQuerySchema,
    },
    handler: async (req, reply) => {
      const tenant = tenantOf(req);
      const device = req.params.id;
      const q = await historyQuery(tenant, [device], { ...req.query, limit: 1 });
      const format = req.query.format ?? 'csv';
      const type =
        format === 'csv' ? 'text/csv' : format === 'json' ? 'application/json' : 'application/x-ndjson';
      reply.raw.writeHead(200, {
        'content-type': `${type}; charset=utf-8`,
        'content-disposition': `attachment; filename="${device}-telemetry.${format}"`,
      });
      const out = reply.raw;
      const write = (s: string) =>
        out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', r));
      let first = true;
      await write(format === 'csv' ? 'device,key,ts,time,value\n' : format === 'json' ? '[' : '');
      for (const key of q.keys) {
        for await (const page of telemetry.stream(tenant, device, key, q.from, q.to)) {
          let chunk = '';
          for (const p of page) {
            if (format === 'csv')
              chunk += `${csv(device)},${csv(key)},${p.ts},${new Date(p.ts).toISOString()},${csv(String(p.value))}\n`;
            else {
              const line = JSON.stringify({ key, ts: p.ts, value: p.value });
              chunk += format === 'json' ? `${first ? '' : ','}\n${line}` : `${line}\n`;
              first = false;
            }
          }
          await write(chunk);
          if (out.destroyed) return reply;
        }
      }
      if (format === 'json') await write('\n]\n');
      out.end();
      return reply;
    },
  });

  app.post('/telemetry/retention', {
    config: {
      permission: 'tenants:manage',
      audit: { action: 'telemetry.retention', resource: 'telemetry' },
    },
    schema: {
      tags,
      summary: "Apply every profile's retention now (it also runs hourly); platform admins",
      response: { 200: Type.Object({ removed: Type.Integer() }) },
    },
    handler: async () => ({ removed: await telemetry.enforceRetention() }),
  });

  app.get('/devices/:id/events', {
    config: { permission: 'telemetry:read' },
    schema: {
      tags,
      summary: 'Events of a device, newest first',
      params: IdParams,
      querystring: EventsQuerySchema,
    },
    handler: async (req) => {
      const tenant = tenantOf(req);
      await registry.getDevice(tenant, req.params.id);
      const to = timeParam(req.query.to, now(), 'to');
      const from = timeParam(req.query.from, 0, 'from');
      const limit = req.query.limit ?? 100;
      let before: { ts: number; id: number } | undefined;
      if (req.query.cursor !== undefined) {
        const m = /^(-?\d{1,16})\.(\d{1,16})$/.exec(req.query.cursor);
        if (!m) throw badCursor();
        before = { ts: Number(m[1]), id: Number(m[2]) };
      }
      const rows = await telemetry.events(tenant, req.params.id, {
        from,
        to,
        limit: limit + 1,
        ...(req.query.type === undefined ? {} : { type: req.query.type }),
        ...(before === undefined ? {} : { before }),
      });
      const items = rows.slice(0, limit);
      const last = items[items.length - 1];
      return rows.length > limit && last ? { items, next: `${last.ts}.${last.id}` } : { items };
    },
  });
};

/** A CSV field: quoted when it holds a comma, quote or line break (RFC 4180). */
function csv(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
