import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

/** Lines are gathered up to this size before they go to gzip (one write per ~64 KB, not per row). */
const CHUNK_CHARS = 64 * 1024;

/**
 * The export file being written: gzip into `<file>.partial`, renamed to
 * `<file>` only once complete, so a failed or interrupted export never
 * leaves a file that looks like a backup. `-` writes to stdout.
 */
export class ExportWriter {
  readonly #gzip = createGzip();
  readonly #sink: Writable;
  readonly #file: string;
  readonly #done: Promise<void>;
  #buffer = '';
  bytesIn = 0;

  constructor(file: string) {
    this.#file = file;
    this.#sink = file === '-' ? process.stdout : createWriteStream(`${file}.partial`);
    this.#gzip.pipe(this.#sink, { end: file !== '-' });
    // Errors of either stream (disk full, EACCES) surface at the next write or at close.
    this.#done = Promise.all([finished(this.#gzip), file === '-' ? undefined : finished(this.#sink)]).then(
      () => undefined,
    );
    this.#done.catch(() => undefined);
  }

  /** Resolves once the file is open: a bad path fails before the export reads anything. */
  async ready(): Promise<void> {
    if (this.#file !== '-') await Promise.race([once(this.#sink, 'open'), this.#done]);
  }

  /** Appends one line; true when the caller should `await drain()` (constant memory without an await per row). */
  line(text: string): boolean {
    this.#buffer += `${text}\n`;
    return this.#buffer.length >= CHUNK_CHARS;
  }

  /** Hands the gathered lines to gzip, waiting while it asks to. */
  drain(): Promise<void> {
    return this.#flush();
  }

  async #flush(): Promise<void> {
    const chunk = this.#buffer;
    this.#buffer = '';
    this.bytesIn += Buffer.byteLength(chunk);
    if (!this.#gzip.write(chunk)) await Promise.race([once(this.#gzip, 'drain'), this.#done]);
  }

  /** Finishes the file and gives it its name. */
  async commit(): Promise<void> {
    await this.#flush();
    this.#gzip.end();
    await this.#done;
    if (this.#file !== '-') await rename(`${this.#file}.partial`, this.#file);
  }

  async abort(): Promise<void> {
    this.#gzip.destroy();
    this.#sink.destroy();
    if (this.#file !== '-') await rm(`${this.#file}.partial`, { force: true });
  }
}
