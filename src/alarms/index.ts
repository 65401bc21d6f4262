/**
 * Alarms (issue #6): raised and cleared by rules with a severity and a
 * dedup key, acknowledged, cleared and commented by operators, counted per
 * device and fleet, live on the WebSocket stream (bus `alarm`).
 *
 * @example
 * const alarms = createAlarmService({ store, registry, bus, clock, log, metrics });
 * await alarms.acknowledge('default', 'alm_1a2b', 'user:alice', 'on my way');
 * @module
 */
export { AlarmErrors } from './errors.js';
export type { Alarm, AlarmComment, AlarmCounts, AlarmSeverity, AlarmStatus } from './model.js';
export { alarmRoutes } from './routes.js';
export { type AlarmService, createAlarmService } from './service.js';
