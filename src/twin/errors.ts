import { defineErrors } from '../core/errors.js';

export const TwinErrors = defineErrors('TWIN', {
  INVALID: { status: 400, title: 'Invalid twin document' },
  TOO_LARGE: { status: 413, title: 'Twin document over the size limit' },
  VERSION_MISMATCH: { status: 412, title: 'The twin changed since the version you read' },
  STORE_FAILED: { status: 503, title: 'Twin could not be stored; retry', mqttReason: 0x80 },
});
