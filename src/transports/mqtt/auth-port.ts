import type { Identity } from './identity.js';

/**
 * What the broker needs from the platform to admit a client (STYLE.md §3:
 * transports depend on ports, not on other contexts' services). app.ts
 * implements it over the registry and auth services, with a cache.
 */
export interface MqttAuthPort {
  /** A device by id and secret in its tenant; undefined when unknown, disabled or wrong. */
  device(tenant: string, id: string, secret: string): Promise<Identity | undefined>;
  /** An API key of a program acting in `tenant`; undefined when invalid or of another tenant. */
  apiKey(tenant: string, key: string): Promise<Identity | undefined>;
  /** An MQTT user by name and secret (docs/mqtt-users.md); undefined when unknown or wrong. */
  user(tenant: string, username: string, secret: string): Promise<Identity | undefined>;
}
