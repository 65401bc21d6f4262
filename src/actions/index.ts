/**
 * Rule actions (issue #6): rendered from the rule's templates, stored in the
 * durable outbox, carried out with retries: webhooks (HMAC-signed),
 * commands, desired twin values, MQTT publishes.
 * @module
 */
export { type ActionPorts, signature } from './execute.js';
export { createMailer, type MailConfig } from './mailer.js';
export { actionRoutes } from './routes.js';
export { type ActionService, createActionService, MAX_ATTEMPTS, renderAction } from './service.js';
