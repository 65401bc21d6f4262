/**
 * Operators, sessions, API keys, roles, and MQTT users (plain MQTT clients with topic ACL rules).
 * @module
 */
export { AuthErrors } from './errors.js';
export type { ApiKey, Permission, Principal, Role, User } from './model.js';
export { can, mayGrant, PERMISSION_TEXT, ROLES } from './model.js';
export type { MqttUser, SysScope } from './mqtt-user-model.js';
export {
  createMqttUserService,
  type MqttUserActor,
  type MqttUserService,
  type VerifiedMqttUser,
} from './mqtt-users.js';
export { authRoutes } from './routes.js';
export { type AuthService, createAuthService } from './service.js';
