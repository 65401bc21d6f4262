import { defineErrors } from '../../core/errors.js';

/** Errors of `plexus migrate export|import` (docs/migrate.md). */
export const TransferErrors = defineErrors('TRANSFER', {
  NOT_AN_EXPORT: { status: 400, title: 'Not a Plexus export file' },
  VERSION_UNSUPPORTED: { status: 400, title: 'Export written by a newer Plexus' },
  FILE_DAMAGED: { status: 400, title: 'Export file truncated or damaged' },
  BAD_LINE: { status: 400, title: 'Invalid line in the export file' },
  SCHEMA_MISMATCH: { status: 409, title: 'Tables or columns do not match this Plexus' },
  TARGET_NOT_EMPTY: { status: 409, title: 'Import target already holds data' },
  SOURCE_NOT_FOUND: { status: 404, title: 'No Plexus database to export' },
  WRITE_FAILED: { status: 500, title: 'The target database refused the import' },
});
