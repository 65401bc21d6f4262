import { defineErrors } from '../../core/errors.js';

/** Errors of the device HTTP API (/device/v1). */
export const DeviceHttpErrors = defineErrors('DEVICE_HTTP', {
  UNAUTHENTICATED: { status: 401, title: 'Device authentication required' },
  TOO_MANY_FAILURES: { status: 429, title: 'Too many failed logins' },
  RATE_LIMITED: { status: 429, title: 'Over the device rate limits' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type' },
  PAYLOAD_INVALID: { status: 400, title: 'Payload cannot be decoded' },
  POINTS_REJECTED: { status: 422, title: 'Some points were rejected' },
  RESULT_REFUSED: { status: 409, title: 'Result for an unknown or finished command' },
  BUSY: { status: 503, title: 'Storage is behind; retry shortly' },
  STORE_FAILED: { status: 503, title: 'Data could not be stored; retry' },
});
