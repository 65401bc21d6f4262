import { parseCbor } from './cbor.js';
import { cborToJson } from './document.js';
import { eventsFromShapes } from './events.js';
import { telemetryFromShapes } from './flatten.js';
import { parseJson } from './json.js';
import {
  CodecError,
  type CodecName,
  type DecodedEvents,
  type DecodedPoint,
  type DecodedTelemetry,
  type PointProblem,
} from './model.js';
import { telemetryFromSenml } from './senml.js';
import { makeProblem } from './values.js';

/**
 * Decodes one telemetry payload (pure, no I/O). Points that cannot be stored
 * are left out and listed in `problems` with the reason; a payload that
 * cannot be read at all throws a `CodecError`.
 *
 * `now` (epoch ms) resolves SenML times relative to "now" (RFC 8428 §4.5.3).
 * Points without `ts` take the receive time downstream.
 *
 * @example
 * decodeTelemetry('json', Buffer.from('{"temp":21.5,"location":{"lat":48.1}}'), Date.now());
 * // → { points: [{ key: 'temp', value: 21.5 }, { key: 'location.lat', value: 48.1 }], problems: [] }
 */
export function decodeTelemetry(codec: CodecName, payload: Uint8Array, now: number): DecodedTelemetry {
  let decoded: DecodedTelemetry;
  switch (codec) {
    case 'json':
      decoded = telemetryFromShapes(codec, parseJson(codec, payload));
      break;
    case 'cbor':
      decoded = telemetryFromShapes(codec, parseCbor(codec, payload));
      break;
    case 'senml+json':
      decoded = telemetryFromSenml(codec, parseJson(codec, payload), now);
      break;
    case 'senml+cbor':
      decoded = telemetryFromSenml(codec, parseCbor(codec, payload), now);
      break;
    default:
      return unknownCodec(codec);
  }
  return keepLastDuplicates(decoded);
}

/**
 * Decodes one events payload (JSON or CBOR; SenML has no events, so callers
 * reject senml codecs for events themselves).
 *
 * @example
 * decodeEvents('json', Buffer.from('{"type":"door_open","ts":1714564800000,"door":2}'));
 * // → { events: [{ type: 'door_open', ts: 1714564800000, data: { door: 2 } }], problems: [] }
 */
export function decodeEvents(codec: 'json' | 'cbor', payload: Uint8Array): DecodedEvents {
  switch (codec) {
    case 'json':
      return eventsFromShapes(codec, parseJson(codec, payload));
    case 'cbor':
      return eventsFromShapes(codec, parseCbor(codec, payload));
    default:
      // Reached only from untyped callers.
      throw new CodecError(codec as CodecName, 'this codec carries no events');
  }
}

/** Up to this many points a pairwise scan beats building a map (no allocation on the common path). */
const SMALL = 16;

function hasDuplicate(points: readonly DecodedPoint[]): boolean {
  for (let i = 1; i < points.length; i++) {
    const p = points[i] as DecodedPoint;
    for (let j = 0; j < i; j++) {
      const q = points[j] as DecodedPoint;
      if (p.key === q.key && p.ts === q.ts) return true;
    }
  }
  return false;
}

function unknownCodec(codec: never): never {
  throw new TypeError(`unknown codec ${String(codec)}`);
}

/**
 * One payload may name the same key at the same time twice (a retransmitted
 * buffer entry, `{"a.b": 1, "a": {"b": 2}}`, SenML records told apart only by
 * unit). The last one wins, as it would in a JSON object; an earlier one with
 * a different value becomes a problem so that the loss is not silent.
 */
export function keepLastDuplicates(decoded: DecodedTelemetry): DecodedTelemetry {
  const { points } = decoded;
  if (points.length < 2 || (points.length <= SMALL && !hasDuplicate(points))) return decoded;
  const last = new Map<string, DecodedPoint>();
  let dropped = 0;
  for (let i = points.length - 1; i >= 0; i--) {
    const p = points[i] as DecodedPoint;
    // `@` cannot occur in a key, so the pair is unambiguous.
    const id = p.ts === undefined ? p.key : `${p.key}@${p.ts}`;
    if (last.has(id)) dropped++;
    else last.set(id, p);
  }
  if (dropped === 0) return decoded;
  const kept: DecodedPoint[] = [];
  const problems: PointProblem[] = [...decoded.problems];
  for (const p of points) {
    const winner = last.get(p.ts === undefined ? p.key : `${p.key}@${p.ts}`) as DecodedPoint;
    if (winner === p) kept.push(p);
    else if (winner.value !== p.value || winner.unit !== p.unit) {
      problems.push(makeProblem(undefined, p.key, 'replaced by a later value for the same key and time'));
    }
  }
  return { points: kept, problems };
}

/**
 * Decodes a document (a twin's reported state, a command's result): any
 * JSON or CBOR value, checked by its consumer. SenML carries measurements,
 * not documents, so a device that defaults to it sends these as JSON.
 */
export function decodeDocument(codec: CodecName, payload: Uint8Array): unknown {
  if (codec === 'cbor' || codec === 'senml+cbor') return cborToJson(parseCbor('cbor', payload));
  return parseJson('json', payload);
}
