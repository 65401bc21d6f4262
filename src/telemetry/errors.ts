import { defineErrors } from '../core/errors.js';

export const TelemetryErrors = defineErrors('TELEMETRY', {
  PAYLOAD_INVALID: { status: 400, title: 'Payload cannot be decoded', mqttReason: 0x99 },
  POINTS_REJECTED: { status: 422, title: 'Some points were rejected', mqttReason: 0x99 },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type' },
  BUSY: { status: 503, title: 'Storage is behind; retry shortly', mqttReason: 0x97 },
  STORE_FAILED: { status: 503, title: 'Data could not be stored', mqttReason: 0x80 },
  DEVICE_UNKNOWN: { status: 404, title: 'Device not found', mqttReason: 0x87 },
  BAD_QUERY: { status: 400, title: 'Invalid telemetry query' },
});
