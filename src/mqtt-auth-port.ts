import type { AuthService, MqttUserService } from './auth/index.js';
import { TopicAcl } from './core/topic-acl.js';
import type { DeviceAuth } from './registry/index.js';
import type { MqttAuthPort } from './transports/mqtt/index.js';

/** The broker's view of the platform: devices by secret (cached), programs by API key, MQTT users by secret. */
export function mqttAuthPort(
  deviceAuth: DeviceAuth,
  auth: AuthService,
  mqttUsers: MqttUserService,
): MqttAuthPort {
  return {
    async device(tenant, id, secret) {
      const found = await deviceAuth.verify(tenant, id, secret);
      if (!found) return undefined;
      const { grants, limits, codec } = found.profile;
      return { kind: 'device', tenant, id, credential: found.credential, grants, limits, codec };
    },
    async apiKey(tenant, key) {
      const p = await auth.verifyApiKey(key);
      if (!p || p.tenant !== tenant) return undefined;
      return { kind: 'apikey', tenant, id: p.id, role: p.role };
    },
    async user(tenant, username, secret) {
      const u = await mqttUsers.verify(tenant, username, secret);
      if (!u) return undefined;
      return { kind: 'user', tenant, id: username, anonymous: false, acl: new TopicAcl(u.rules), sys: u.sys };
    },
  };
}
