import { defineErrors } from '../core/errors.js';

export const AuthErrors = defineErrors('AUTH', {
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  INVALID_CREDENTIALS: { status: 401, title: 'Invalid credentials', mqttReason: 0x86 },
  TOO_MANY_ATTEMPTS: { status: 429, title: 'Too many failed attempts' },
  FORBIDDEN: { status: 403, title: 'Not allowed for this role' },
  USER_NOT_FOUND: { status: 404, title: 'User not found' },
  USER_EXISTS: { status: 409, title: 'User already exists' },
  LAST_ADMIN: { status: 409, title: 'Last platform admin' },
  APIKEY_NOT_FOUND: { status: 404, title: 'API key not found' },
  MQTT_USER_INVALID: { status: 400, title: 'Invalid MQTT user' },
  MQTT_USER_NOT_FOUND: { status: 404, title: 'MQTT user not found' },
  MQTT_USER_EXISTS: { status: 409, title: 'MQTT user already exists' },
  MQTT_USER_NAME_TAKEN: { status: 409, title: 'MQTT user name is a device id' },
});
