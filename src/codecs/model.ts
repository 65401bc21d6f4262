/**
 * Types and limits shared by the codecs. Type-only apart from `CodecError`
 * and the limits (STYLE rule 13 exemption).
 */

/** What a telemetry point can hold (ARCHITECTURE §5: numbers, booleans, strings). */
export type Scalar = number | boolean | string;

/** The payload formats of ARCHITECTURE §5, named as the profile's `codec`. */
export type CodecName = 'json' | 'cbor' | 'senml+json' | 'senml+cbor';

export interface DecodedPoint {
  readonly key: string;
  readonly value: Scalar;
  /** Epoch ms (an integer), if the payload gave one. */
  readonly ts?: number;
  /** SenML unit, if given. */
  readonly unit?: string;
}

/** One part of a payload that was skipped; the rest of the payload is kept. */
export interface PointProblem {
  /** Index of the record/entry in the payload, when it has one. */
  readonly index?: number;
  readonly key?: string;
  readonly reason: string;
}

export interface DecodedTelemetry {
  readonly points: DecodedPoint[];
  readonly problems: PointProblem[];
}

export interface DecodedEvent {
  readonly type: string;
  readonly ts?: number;
  readonly data: Record<string, unknown>;
  /** Position in the payload when it was an array (for error paths). */
  readonly index?: number;
}

export interface DecodedEvents {
  readonly events: DecodedEvent[];
  readonly problems: PointProblem[];
}

/** Thrown when the payload as a whole cannot be decoded (not JSON/CBOR, wrong top-level shape, too large). */
export class CodecError extends Error {
  readonly codec: CodecName;

  constructor(codec: CodecName, message: string) {
    // No stack trace: a device flooding garbage must not make the broker pay
    // for one per packet, and the message says everything the caller needs.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = 'CodecError';
    this.codec = codec;
  }
}

/** Values (points and problems) one telemetry payload may carry; more and the device must split. */
export const MAX_VALUES = 10_000;
/** SenML records per pack (each gives at most two points: value and sum). */
export const MAX_RECORDS = 10_000;
export const MAX_EVENTS = 1_000;
/** Values inside the `data` of all events of one payload: bounds CBOR shared references (tags 28/29). */
export const MAX_EVENT_VALUES = 100_000;
/** Levels of nesting: keys have at most this many dotted segments. */
export const MAX_DEPTH = 8;
export const MAX_STRING_BYTES = 4_096;
export const MAX_EVENT_TYPE_LENGTH = 128;
