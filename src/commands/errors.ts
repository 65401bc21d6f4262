import { defineErrors } from '../core/errors.js';

export const CommandErrors = defineErrors('COMMAND', {
  NOT_FOUND: { status: 404, title: 'Command not found' },
  FINISHED: { status: 409, title: 'The command is already finished' },
  INVALID: { status: 400, title: 'Invalid command' },
  NO_DEVICES: { status: 422, title: 'No device matches the target' },
  TOO_MANY_DEVICES: { status: 422, title: 'Too many devices for one group send' },
  STORE_FAILED: { status: 503, title: 'Command could not be stored; retry', mqttReason: 0x80 },
});
