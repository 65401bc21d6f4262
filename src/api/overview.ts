import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { AlarmService } from '../alarms/index.js';
import type { RegistryService } from '../registry/index.js';
import type { TelemetryService } from '../telemetry/index.js';
import { tenantOf } from './context.js';

const Count = (description: string) => Type.Integer({ description });
const Overview = Type.Object({
  devices: Type.Object({
    total: Count('Registered devices.'),
    online: Count('Connected now (MQTT), or sending within the inactivity timeout (HTTP).'),
    offline: Count('Not connected or silent.'),
    unknown: Count('Never seen.'),
  }),
  alarms: Type.Object({
    total: Count('Open alarms.'),
    devices: Count('Devices with at least one open alarm.'),
    bySeverity: Type.Record(Type.String(), Type.Integer()),
    byStatus: Type.Record(Type.String(), Type.Integer()),
  }),
  ingest: Type.Object({
    pointsPerSecond: Type.Number({ description: 'Points and events stored per second, last 10 s.' }),
    messagesPerSecond: Type.Number({ description: 'Messages (batches) stored per second, last 10 s.' }),
  }),
});

/**
 * `GET /api/v1/overview`: the fleet at a glance for the dashboard's first
 * screen (online/offline counts, open alarms and alarming devices, ingest
 * rate), in one call instead of four.
 */
export const overviewRoutes: FastifyPluginAsyncTypebox<{
  registry: RegistryService;
  alarms: AlarmService;
  telemetry: TelemetryService;
}> = async (app, { registry, alarms, telemetry }) => {
  app.get('/overview', {
    config: { permission: 'telemetry:read' },
    schema: {
      tags: ['overview'],
      summary: 'Fleet counts, open alarms and ingest rate',
      response: { 200: Overview },
    },
    handler: async (req) => {
      const tenant = tenantOf(req);
      const [byStatus, alarmCounts] = await Promise.all([
        registry.countDevicesByStatus(tenant),
        alarms.counts(tenant),
      ]);
      return {
        devices: { total: byStatus.online + byStatus.offline + byStatus.unknown, ...byStatus },
        alarms: alarmCounts,
        ingest: telemetry.ingestRate(tenant),
      };
    },
  });
};
