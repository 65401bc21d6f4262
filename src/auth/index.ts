/**
 * Operators, sessions, API keys and roles.
 * @module
 */
export { AuthErrors } from './errors.js';
export type { ApiKey, Permission, Principal, Role, User } from './model.js';
export { can, mayGrant, PERMISSION_TEXT, ROLES } from './model.js';
export { authRoutes } from './routes.js';
export { type AuthService, createAuthService } from './service.js';
