/**
 * A decoded map, whichever the codec: a plain object from `JSON.parse`, or a
 * `Map` from CBOR. CBOR maps stay `Map`s because their keys may be of any
 * type: SenML CBOR labels are integers (RFC 8428 §6), and a non-text key in
 * telemetry must be reported, not silently turned into a string (cbor-x's
 * `mapsAsObjects` would turn `5` into `"5"` and `__proto__` into `__proto_`).
 */
export type Fields = Readonly<Record<string, unknown>> | ReadonlyMap<unknown, unknown>;

export function isFields(v: unknown): v is Fields {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  if (v instanceof Map) return true;
  // Not Dates, byte strings, tags ...: those are values, never containers.
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The value under a text key (own properties only: never `Object.prototype`'s). */
export function field(f: Fields, name: string): unknown {
  if (f instanceof Map) return f.get(name);
  return Object.hasOwn(f, name) ? (f as Readonly<Record<string, unknown>>)[name] : undefined;
}

export function fieldCount(f: Fields): number {
  return f instanceof Map ? f.size : Object.keys(f).length;
}

/**
 * Sets a property, also one named `__proto__` (which plain assignment would
 * take as the object's prototype instead of a field).
 */
export function setField(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
