/**
 * Commands: a durable per-device queue with statuses, time-to-live and
 * answer timeouts; delivery over MQTT and HTTP; group sends.
 * @module
 */
export { CommandErrors } from './errors.js';
export type { Command, CommandStatus } from './model.js';
export { commandRoutes } from './routes.js';
export { type CommandInput, type CommandService, createCommandService } from './service.js';
