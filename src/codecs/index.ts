/**
 * Payload codecs: JSON, CBOR and SenML (RFC 8428) telemetry, JSON and CBOR
 * events, and the profile's key mapping (ARCHITECTURE §5). Pure functions,
 * no I/O: transports pick the codec, the telemetry service stores the points.
 * @module
 */

export { codecFromContentType } from './content-type.js';
export { decodeDocument, decodeEvents, decodeTelemetry } from './decode.js';
export { applyMapping, type KeyMapping } from './mapping.js';
export {
  CodecError,
  type CodecName,
  type DecodedEvent,
  type DecodedEvents,
  type DecodedPoint,
  type DecodedTelemetry,
  type PointProblem,
  type Scalar,
} from './model.js';
export { isValidKey } from './values.js';
