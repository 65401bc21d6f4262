import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CoreErrors, type ErrorDef, type FieldError, PlexusError } from '../core/errors.js';
import { toFieldErrors } from '../core/validation.js';
import { ApiErrors } from './errors.js';

/** RFC 9457 problem details, plus our stable `code` and per-field `errors`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance: string;
  errors?: readonly FieldError[];
}

const FASTIFY_CODES: Record<string, ErrorDef> = {
  FST_ERR_CTP_INVALID_JSON_BODY: ApiErrors.MALFORMED_JSON,
  FST_ERR_CTP_EMPTY_JSON_BODY: ApiErrors.MALFORMED_JSON,
  FST_ERR_CTP_BODY_TOO_LARGE: ApiErrors.BODY_TOO_LARGE,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ApiErrors.UNSUPPORTED_MEDIA_TYPE,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ApiErrors.VALIDATION,
};

/** Normalises anything thrown in a request into a PlexusError. */
export function toPlexusError(err: unknown): PlexusError {
  if (err instanceof PlexusError) return err;
  const fe = err as FastifyError & { validationContext?: string };
  if (fe.validation) {
    const where = fe.validationContext ?? 'body';
    const errors = toFieldErrors(fe.validation as never, `/${where}`);
    const detail = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
    return new PlexusError(ApiErrors.VALIDATION, detail, { errors, cause: err });
  }
  if (fe.code && FASTIFY_CODES[fe.code]) {
    const def = FASTIFY_CODES[fe.code] as ErrorDef;
    // Keep the parser's position information; drop Fastify's code prefix.
    return new PlexusError(def, fe.message.replace(/^FST_\w+: /, ''), { cause: err });
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new PlexusError({ ...ApiErrors.VALIDATION, status: fe.statusCode }, fe.message, { cause: err });
  }
  return new PlexusError(CoreErrors.INTERNAL, 'an internal error occurred; it has been logged', {
    cause: err,
  });
}

export function problemOf(err: PlexusError, instance: string): Problem {
  return {
    type: `urn:plexus:error:${err.code}`,
    title: err.title,
    status: err.status,
    detail: err.message,
    code: err.code,
    instance,
    ...(err.errors ? { errors: err.errors } : {}),
  };
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, err: PlexusError): FastifyReply {
  if (err.headers) reply.headers(err.headers);
  return reply.code(err.status).type('application/problem+json').send(problemOf(err, request.url));
}
