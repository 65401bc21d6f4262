import { defineErrors } from '../core/errors.js';

export const StoreErrors = defineErrors('STORE', {
  CONFLICT: { status: 409, title: 'Already exists' },
  DATA_DIR_IN_USE: { status: 500, title: 'Data directory in use by another Plexus process' },
  MIGRATION_FAILED: { status: 500, title: 'Database migration failed' },
  SCHEMA_TOO_NEW: { status: 500, title: 'Database written by a newer Plexus' },
});
