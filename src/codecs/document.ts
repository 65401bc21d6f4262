import { CodecError } from './model.js';
import { describe } from './values.js';

/** Nesting a document may have: deeper is refused, not walked (no stack overflow from a crafted payload). */
const MAX_DEPTH = 64;

/**
 * A decoded CBOR document (a twin's reported state, a command's result) as
 * the JSON value the twin and command services store: maps with text keys
 * become objects, integers beyond 2^53 and anything JSON cannot hold (byte
 * strings, tags, undefined, non-text keys, NaN) are refused with the path.
 * Decoded CBOR maps are `Map`s (cbor.ts), which the services would otherwise
 * take for an empty object: a report acknowledged and silently lost.
 */
export function cborToJson(v: unknown, path = '', depth = 0): unknown {
  if (depth > MAX_DEPTH)
    throw new CodecError('cbor', `${path || 'document'}: nested deeper than ${MAX_DEPTH}`);
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (Number.isFinite(v)) return v;
    throw new CodecError('cbor', `${path || 'document'}: ${v} is not a JSON number`);
  }
  if (typeof v === 'bigint') {
    if (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(v);
    throw new CodecError('cbor', `${path || 'document'}: integer ${v} is beyond 2^53`);
  }
  if (Array.isArray(v)) return v.map((x, i) => cborToJson(x, `${path}/${i}`, depth + 1));
  if (v instanceof Map) {
    const entries: [string, unknown][] = [];
    for (const [k, x] of v) {
      if (typeof k !== 'string') throw new CodecError('cbor', `${path || 'document'}: map keys must be text`);
      entries.push([k, cborToJson(x, `${path}/${k}`, depth + 1)]);
    }
    // fromEntries defines own properties: a "__proto__" key stays a key.
    return Object.fromEntries(entries);
  }
  throw new CodecError('cbor', `${path || 'document'}: ${describe(v)} has no JSON form`);
}
