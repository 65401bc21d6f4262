import { type Fields, field, isFields, setField } from './fields.js';
import {
  CodecError,
  type CodecName,
  type DecodedEvent,
  type DecodedEvents,
  MAX_DEPTH,
  MAX_EVENT_TYPE_LENGTH,
  MAX_EVENT_VALUES,
  MAX_EVENTS,
  type PointProblem,
} from './model.js';
import { describe, makeProblem, parseTs, scalarProblem, toFiniteNumber, tsProblem } from './values.js';

/**
 * Events (ARCHITECTURE §5): `{"type": "door_open", "ts"?: ..., ...data}` or an
 * array of those. `data` is copied into plain JSON values (CBOR maps become
 * objects) so that whoever stores or forwards it can serialise it as JSON.
 */
export function eventsFromShapes(codec: CodecName, root: unknown): DecodedEvents {
  const reader = new DataReader(codec);
  const events: DecodedEvent[] = [];
  const problems: PointProblem[] = [];
  const take = (e: unknown, index: number | undefined): void => {
    const result = readEvent(reader, e, index);
    if ('reason' in result) problems.push(result);
    else events.push(result);
  };
  if (Array.isArray(root)) {
    if (root.length > MAX_EVENTS) {
      throw new CodecError(codec, `payload has more than ${MAX_EVENTS} events: split it`);
    }
    for (let i = 0; i < root.length; i++) take(root[i], i);
  } else if (isFields(root)) {
    take(root, undefined);
  } else {
    throw new CodecError(codec, `top level must be an object or an array, not ${describe(root)}`);
  }
  return { events, problems };
}

function readEvent(reader: DataReader, e: unknown, index: number | undefined): DecodedEvent | PointProblem {
  if (!isFields(e)) return makeProblem(index, undefined, `event is ${describe(e)}, not an object`);
  const type = field(e, 'type');
  if (typeof type !== 'string' || type.length === 0 || type.length > MAX_EVENT_TYPE_LENGTH) {
    return makeProblem(
      index,
      'type',
      `type must be a non-empty string of at most ${MAX_EVENT_TYPE_LENGTH} characters`,
    );
  }
  const rawTs = field(e, 'ts');
  const ts = rawTs === undefined ? undefined : parseTs(rawTs);
  if (rawTs !== undefined && ts === undefined) return makeProblem(index, 'ts', tsProblem(rawTs));
  const data = reader.object(e, 1, true);
  if (data === undefined) return makeProblem(index, reader.failedKey(), reader.reason);
  return {
    type,
    data,
    ...(ts === undefined ? {} : { ts }),
    ...(index === undefined ? {} : { index }),
  };
}

/**
 * Copies decoded values into JSON values. On a value JSON cannot carry it
 * returns undefined and keeps the reason and the path to it (built only then,
 * so the happy path allocates no path strings).
 */
class DataReader {
  readonly #codec: CodecName;
  #budget = MAX_EVENT_VALUES;
  #path: string[] = [];
  reason = '';

  constructor(codec: CodecName) {
    this.#codec = codec;
  }

  failedKey(): string | undefined {
    const key = this.#path.reverse().join('.');
    this.#path = [];
    return key === '' ? undefined : key;
  }

  /** An object's fields; `event` leaves out the event's own `type` and `ts`. */
  object(f: Fields, depth: number, event = false): Record<string, unknown> | undefined {
    const out: Record<string, unknown> = {};
    if (f instanceof Map) {
      for (const [k, v] of f) {
        if (typeof k !== 'string') return this.#fail(`map key (${describe(k)}) is not a text string`);
        if (!this.#copy(out, k, v, depth, event)) return undefined;
      }
    } else {
      const obj = f as Readonly<Record<string, unknown>>;
      for (const k of Object.keys(obj)) if (!this.#copy(out, k, obj[k], depth, event)) return undefined;
    }
    return out;
  }

  #copy(out: Record<string, unknown>, k: string, v: unknown, depth: number, event: boolean): boolean {
    if (event && (k === 'type' || k === 'ts')) return true;
    const copied = this.#value(v, depth);
    if (copied === undefined) {
      this.#path.push(k);
      return false;
    }
    setField(out, k, copied);
    return true;
  }

  #value(v: unknown, depth: number): unknown {
    if (--this.#budget < 0) {
      throw new CodecError(this.#codec, `event data has more than ${MAX_EVENT_VALUES} values: split it`);
    }
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    const n = toFiniteNumber(v);
    if (n !== undefined) return n;
    const container = Array.isArray(v) || isFields(v);
    if (!container) return this.#fail(scalarProblem(v));
    if (depth >= MAX_DEPTH) return this.#fail(`nested deeper than ${MAX_DEPTH} levels`);
    if (!Array.isArray(v)) return this.object(v as Fields, depth + 1);
    const out: unknown[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = this.#value(v[i], depth + 1);
      if (x === undefined) {
        this.#path.push(String(i));
        return undefined;
      }
      out[i] = x;
    }
    return out;
  }

  #fail(reason: string): undefined {
    this.reason = reason;
    return undefined;
  }
}
