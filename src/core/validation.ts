import type { FieldError } from './errors.js';

/** The common shape of Ajv and TypeBox validation errors. */
export interface SchemaError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly params?: Record<string, unknown>;
  readonly message?: string | undefined;
}

/**
 * Turns raw schema errors into precise, deduplicated field errors: names the
 * unknown property, lists the allowed values, and drops the noise TypeBox
 * adds for `additionalProperties: false` (a second "schema is false" entry).
 */
export function toFieldErrors(errors: Iterable<SchemaError>, root = ''): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (e.keyword === 'boolean') continue;
    let path = root + e.instancePath;
    let message = e.message ?? 'is invalid';
    const p = e.params ?? {};
    if (e.keyword === 'additionalProperties') {
      const names = Array.isArray(p.additionalProperties) ? p.additionalProperties : [p.additionalProperty];
      for (const name of names) {
        push(`${path}/${String(name)}`, 'is not a known field');
      }
      continue;
    }
    if (e.keyword === 'enum' && Array.isArray(p.allowedValues)) {
      message = `must be one of: ${p.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    if (e.keyword === 'required' && typeof p.missingProperty === 'string') {
      path = `${path}/${p.missingProperty}`;
      message = 'is required';
    }
    if (e.keyword === 'required' && Array.isArray(p.requiredProperties)) {
      for (const name of p.requiredProperties) push(`${path}/${String(name)}`, 'is required');
      continue;
    }
    push(path, message);
  }
  return out;

  function push(path: string, message: string): void {
    const p = path || '/';
    const key = `${p}\u0000${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ path: p, message });
  }
}

/** `/http/port` → `http.port` for config messages that people read. */
export function dottedPath(pointer: string): string {
  return pointer.replace(/^\//, '').replaceAll('/', '.') || '(root)';
}
