import { CodecError, type CodecName, type DecodedPoint, type PointProblem, type Scalar } from './model.js';
import { makePoint, makeProblem } from './values.js';

/**
 * Gathers the points and problems of one telemetry payload and enforces the
 * per-payload limit as it goes, so a hostile payload stops early.
 */
export class Collector {
  readonly points: DecodedPoint[] = [];
  readonly problems: PointProblem[] = [];
  readonly codec: CodecName;
  readonly #limit: number;
  #count = 0;

  constructor(codec: CodecName, limit: number) {
    this.codec = codec;
    this.#limit = limit;
  }

  point(key: string, value: Scalar, ts: number | undefined, unit?: string): void {
    this.#spend();
    this.points.push(makePoint(key, value, ts, unit));
  }

  problem(index: number | undefined, key: string | undefined, reason: string): void {
    this.#spend();
    this.problems.push(makeProblem(index, key, reason));
  }

  #spend(): void {
    // Problems count too: a payload of 10,001 bad values is as costly as one of good ones.
    if (++this.#count > this.#limit) {
      throw new CodecError(this.codec, `payload has more than ${this.#limit} values: split it`);
    }
  }
}
