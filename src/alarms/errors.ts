import { defineErrors } from '../core/errors.js';

export const AlarmErrors = defineErrors('ALARM', {
  NOT_FOUND: { status: 404, title: 'Alarm not found' },
  CLEARED: { status: 409, title: 'The alarm is already cleared' },
  INVALID: { status: 400, title: 'Invalid alarm request' },
});
