/** Where progress goes (stderr in the CLI, so stdout stays free for `--out -`). */
export type ProgressSink = (line: string) => void;

/** How often a long table reports while it runs. */
const EVERY_MS = 5000;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export function rate(rows: number, ms: number): string {
  return `${fmt(ms > 0 ? (rows * 1000) / ms : rows)} rows/s`;
}

/**
 * Rows per table and rows/s: a line when a table is done, and one every
 * few seconds while a large table (telemetry) is under way. `tick` is on
 * the per-row path, so it looks at the clock every 4,096 rows only.
 */
export class Progress {
  readonly #sink: ProgressSink;
  readonly #started = Date.now();
  #table = '';
  #tableStarted = 0;
  #lastReport = 0;
  #rows = 0;
  total = 0;
  tables = 0;

  constructor(sink: ProgressSink) {
    this.#sink = sink;
  }

  begin(table: string): void {
    this.#table = table;
    this.#rows = 0;
    this.#tableStarted = Date.now();
    this.#lastReport = this.#tableStarted;
  }

  tick(rows = 1): void {
    const before = this.#rows;
    this.#rows += rows;
    this.total += rows;
    if (before >>> 12 === this.#rows >>> 12) return;
    const now = Date.now();
    if (now - this.#lastReport < EVERY_MS) return;
    this.#lastReport = now;
    this.#sink(
      `  ${this.#table}: ${fmt(this.#rows)} rows so far (${rate(this.#rows, now - this.#tableStarted)})`,
    );
  }

  /** Reports the table (empty ones silently: a fresh install has two dozen). */
  end(): void {
    const ms = Date.now() - this.#tableStarted;
    this.tables++;
    if (this.#rows === 0) return;
    const speed = ms >= 100 ? ` (${rate(this.#rows, ms)})` : '';
    this.#sink(`  ${this.#table}: ${fmt(this.#rows)} rows in ${(ms / 1000).toFixed(1)} s${speed}`);
  }

  /** Elapsed time since creation, ms. */
  elapsed(): number {
    return Date.now() - this.#started;
  }

  summary(verb: string, where: string): string {
    const ms = this.elapsed();
    const speed = ms >= 100 ? ` (${rate(this.total, ms)})` : '';
    return `${verb} ${fmt(this.total)} rows of ${this.tables} tables ${where} in ${(ms / 1000).toFixed(1)} s${speed}`;
  }
}
