/**
 * Tenants, device profiles, devices, groups and credentials.
 * @module
 */

export { type AuthenticatedDevice, createDeviceAuth, type DeviceAuth } from './device-auth.js';
export { RegistryErrors } from './errors.js';
export type {
  Credential,
  Device,
  DeviceStatus,
  Group,
  Profile,
  ProfileSpec,
  TelemetryKeyDef,
  Tenant,
} from './model.js';
export {
  DEFAULT_PROFILE_ID,
  DEFAULT_PROFILE_SPEC,
  hashSecret,
  LABEL_KEY_PATTERN,
  LABEL_VALUE_PATTERN,
  secretMatches,
} from './model.js';
export { registryRoutes } from './routes.js';
export { TenantId } from './schemas.js';
export { createRegistryService, type RegistryService } from './service.js';
