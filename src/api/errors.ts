import { defineErrors } from '../core/errors.js';

export const ApiErrors = defineErrors('API', {
  VALIDATION: { status: 400, title: 'Invalid request' },
  MALFORMED_JSON: { status: 400, title: 'Malformed JSON body' },
  BODY_TOO_LARGE: { status: 413, title: 'Request body too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  INVALID_CURSOR: { status: 400, title: 'Invalid cursor' },
});
