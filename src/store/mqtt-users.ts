import type { MqttUser, StoredMqttUser } from '../auth/mqtt-user-model.js';
import type { Page, PageQuery } from './page.js';

/** Storage of MQTT users (auth context), keyed by (tenant, username); rows go with their tenant. */
export interface MqttUserStore {
  /** A duplicate (tenant, username) is a STORE_CONFLICT. */
  insert(u: StoredMqttUser): Promise<void>;
  get(tenant: string, username: string): Promise<StoredMqttUser | undefined>;
  /** One tenant's users by username, without their secret hashes. */
  list(tenant: string, q: PageQuery): Promise<Page<MqttUser>>;
  /** Replaces rules, sys, secret hash and updatedAt; false when the user is gone. */
  update(u: StoredMqttUser): Promise<boolean>;
  delete(tenant: string, username: string): Promise<boolean>;
  touchLogin(tenant: string, username: string, at: string): Promise<void>;
}
