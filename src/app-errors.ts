import { defineErrors } from './core/errors.js';

export const AppErrors = defineErrors('APP', {
  PORT_IN_USE: { status: 500, title: 'Port already in use' },
  LISTEN_FAILED: { status: 500, title: 'Cannot listen' },
});
