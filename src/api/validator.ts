import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const COMMON: Options = { allErrors: true, removeAdditional: false, useDefaults: true, strict: false };

/**
 * Bodies are validated strictly: a number where a string belongs is an
 * error, not coerced, and unknown fields are refused rather than silently
 * dropped. Query strings and path params arrive as text, so they are coerced
 * (`?limit=10` → 10, a single `?label=` → array).
 */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = addFormats(new Ajv({ ...COMMON, coerceTypes: false }));
  const coercing = addFormats(new Ajv({ ...COMMON, coerceTypes: 'array' }));
  return ({ schema, httpPart }) =>
    withoutNul((httpPart === 'body' ? strict : coercing).compile(schema as object)) as unknown as ReturnType<
      FastifySchemaCompiler<unknown>
    >;
}

type Validate = ((data: unknown) => boolean) & { errors?: unknown[] | null };

/**
 * Also refuses U+0000 in any string: PostgreSQL text cannot hold it, and
 * what one backend refuses no backend should take (JSON documents stored as
 * text escape it, but a name or a key would not).
 */
function withoutNul(validate: Validate): Validate {
  const out: Validate = (data) => {
    if (!validate(data)) {
      out.errors = validate.errors ?? null;
      return false;
    }
    const at = nulAt(data, '');
    out.errors =
      at === undefined
        ? null
        : [
            {
              instancePath: at,
              schemaPath: '#',
              keyword: 'nul',
              params: {},
              message: 'must not contain the character U+0000',
            },
          ];
    return at === undefined;
  };
  return out;
}

/** JSON pointer of the first string (or object key) holding U+0000. */
function nulAt(v: unknown, path: string): string | undefined {
  if (typeof v === 'string') return v.includes('\u0000') ? path : undefined;
  if (v === null || typeof v !== 'object') return undefined;
  for (const [k, x] of Object.entries(v)) {
    const p = `${path}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    if (k.includes('\u0000')) return p;
    const found = nulAt(x, p);
    if (found !== undefined) return found;
  }
  return undefined;
}
