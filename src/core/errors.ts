/**
 * The error catalogue's frame. Each context declares its codes in its own
 * `errors.ts` as an `ErrorCatalogue`; the API maps a `PlexusError` to
 * problem+json (status), the broker to an MQTT reason code. `docs/errors.md`
 * lists every code with how to solve it, and a test keeps the two in step.
 */
export interface ErrorDef {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  /** MQTT 5 reason code to use when this error ends a device operation. */
  readonly mqttReason?: number;
}

export type ErrorCatalogue = Readonly<Record<string, ErrorDef>>;

export interface FieldError {
  readonly path: string;
  readonly message: string;
}

export class PlexusError extends Error {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly mqttReason: number | undefined;
  readonly errors: readonly FieldError[] | undefined;
  /** Extra response headers, e.g. Retry-After for throttling. */
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(
    def: ErrorDef,
    message: string,
    extra: { cause?: unknown; errors?: readonly FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'PlexusError';
    this.code = def.code;
    this.status = def.status;
    this.title = def.title;
    this.mqttReason = def.mqttReason;
    this.errors = extra.errors;
    this.headers = extra.headers;
  }
}

/**
 * Runs an insert and turns a storage-level duplicate (two requests creating
 * one id at the same moment) into the context's own "exists" error.
 */
export async function insertOrConflict<T>(
  insert: () => Promise<T>,
  def: ErrorDef,
  message: string,
): Promise<T> {
  try {
    return await insert();
  } catch (err) {
    if (err instanceof PlexusError && err.code === 'STORE_CONFLICT')
      throw new PlexusError(def, message, { cause: err });
    throw err;
  }
}

/** Builds a catalogue while keeping the literal keys for autocompletion. */
export function defineErrors<const T extends Record<string, Omit<ErrorDef, 'code'>>>(
  prefix: string,
  defs: T,
): { readonly [K in keyof T]: ErrorDef } {
  const out: Record<string, ErrorDef> = {};
  for (const [name, def] of Object.entries(defs)) out[name] = { ...def, code: `${prefix}_${name}` };
  return out as { readonly [K in keyof T]: ErrorDef };
}

/** Errors that belong to no context. */
export const CoreErrors = defineErrors('CORE', {
  INTERNAL: { status: 500, title: 'Internal error' },
});
