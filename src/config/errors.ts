import { defineErrors } from '../core/errors.js';

export const ConfigErrors = defineErrors('CONFIG', {
  INVALID: { status: 500, title: 'Invalid configuration' },
  FILE_UNREADABLE: { status: 500, title: 'Configuration file cannot be read' },
});
