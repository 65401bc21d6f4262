import { defineErrors } from '../core/errors.js';

export const TelemetryErrors = defineErrors('TELEMETRY', {
  BUSY: { status: 503, title: 'Storage is behind; retry shortly', mqttReason: 0x97 },
  STORE_FAILED: { status: 503, title: 'Data could not be stored', mqttReason: 0x80 },
  DEVICE_UNKNOWN: { status: 404, title: 'Device not found', mqttReason: 0x87 },
  BAD_QUERY: { status: 400, title: 'Invalid telemetry query' },
});
