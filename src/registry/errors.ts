import { defineErrors } from '../core/errors.js';

export const RegistryErrors = defineErrors('REGISTRY', {
  TENANT_NOT_FOUND: { status: 404, title: 'Tenant not found' },
  TENANT_EXISTS: { status: 409, title: 'Tenant already exists' },
  TENANT_PROTECTED: { status: 409, title: 'Tenant cannot be deleted' },
  DEVICE_NOT_FOUND: { status: 404, title: 'Device not found', mqttReason: 0x86 },
  DEVICE_EXISTS: { status: 409, title: 'Device already exists' },
  DEVICE_ID_TAKEN: { status: 409, title: 'Device id is an MQTT user name' },
  PROFILE_NOT_FOUND: { status: 404, title: 'Profile not found' },
  PROFILE_EXISTS: { status: 409, title: 'Profile already exists' },
  PROFILE_IN_USE: { status: 409, title: 'Profile is in use' },
  PROFILE_INVALID: { status: 400, title: 'Invalid profile' },
  GROUP_NOT_FOUND: { status: 404, title: 'Group not found' },
  GROUP_EXISTS: { status: 409, title: 'Group already exists' },
  UNKNOWN_REFERENCE: { status: 422, title: 'Reference to an unknown object' },
  CREDENTIAL_NOT_FOUND: { status: 404, title: 'Credential not found' },
});
