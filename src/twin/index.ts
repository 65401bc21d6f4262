/**
 * Device twins: desired and reported state with versions, per-leaf update
 * times and the delta; operator REST, device uplinks and desired downlinks.
 * @module
 */
export { TwinErrors } from './errors.js';
export type { Json, State } from './model.js';
export { twinRoutes } from './routes.js';
export { createTwinService, type DesiredDoc, type TwinService, type TwinView } from './service.js';
