/**
 * Telemetry: ingest (validation, group commit, acknowledgement), latest
 * values, history queries with rollups, retention, device activity.
 * @module
 */
export { TelemetryErrors } from './errors.js';
export { telemetryRoutes } from './routes.js';
export { createTelemetryService, type TelemetryService } from './service.js';
