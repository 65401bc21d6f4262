import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, unlink, writev } from 'node:fs';
import { join } from 'node:path';
import { type DecodedSegment, decodeSegment, encodeRecord } from './journal-format.js';

/** A segment is closed and a new one started past this size, so compacted ones can be deleted. */
const SEGMENT_BYTES = 64 * 1024 * 1024;
const SEGMENT_NAME = /^(\d{16})\.log$/;

interface Segment {
  readonly file: string;
  readonly first: number;
  /** Highest seq given to a record of this segment. */
  last: number;
  size: number;
}

interface Pending {
  readonly seq: number;
  readonly record: Buffer;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export interface JournalSegment {
  readonly file: string;
  readonly first: number;
}

/** The journal's segment files, oldest first. */
export function listSegments(dir: string): JournalSegment[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: JournalSegment[] = [];
  for (const name of names) {
    const m = SEGMENT_NAME.exec(name);
    if (m) out.push({ file: join(dir, name), first: Number(m[1]) });
  }
  return out.sort((a, b) => a.first - b.first);
}

export function readSegment(file: string): DecodedSegment {
  return decodeSegment(readFileSync(file));
}

/**
 * The telemetry journal: an append-only log of what the writer accepted,
 * in segment files under `<dataDir>/telemetry-journal/`. A record is
 * handed to the kernel with one writev() before its data is acknowledged,
 * which survives a crash of the process like SQLite's WAL with
 * `synchronous=NORMAL` (the database's own setting); an OS crash may lose
 * the last moments of both. Records that arrive while a write runs go
 * together in the next one, so the cost is one system call per batch of
 * event-loop turns, off the main thread (libuv's pool).
 *
 * The SQLite tables are written from the journal in large transactions
 * (telemetry-writer.ts); a segment is deleted once all its records are in
 * the database, and on start-up the records the database does not have
 * yet are applied again (telemetry-recover.ts).
 */
export class TelemetryJournal {
  readonly #dir: string;
  #segment: Segment;
  #fd: number;
  readonly #closedSegments: Segment[] = [];
  #nextSeq: number;
  #pending: Pending[] = [];
  #writing = false;
  #idle: (() => void)[] = [];

  /** Starts a new segment; `nextSeq` follows the highest seq the database has applied. */
  constructor(dir: string, nextSeq: number) {
    this.#dir = dir;
    mkdirSync(dir, { recursive: true });
    this.#nextSeq = nextSeq;
    this.#segment = this.#newSegment();
    this.#fd = openSync(this.#segment.file, 'a');
  }

  /** Gives the payload the next seq at once (callers order work by it); `written` settles with the write. */
  append(payload: Uint8Array): { seq: number; written: Promise<void> } {
    const seq = this.#nextSeq++;
    const record = encodeRecord(seq, payload);
    const written = new Promise<void>((resolve, reject) => {
      this.#pending.push({ seq, record, resolve, reject });
    });
    this.#flush();
    return { seq, written };
  }

  /** Deletes the closed segments whose records are all in the database. */
  compactedThrough(seq: number): void {
    while (this.#closedSegments.length > 0 && (this.#closedSegments[0] as Segment).last <= seq) {
      const s = this.#closedSegments.shift() as Segment;
      unlink(s.file, () => undefined);
    }
  }

  /** Waits for the writes in progress; with `compactedSeq` covering everything, the files are removed. */
  async close(compactedSeq: number): Promise<void> {
    while (this.#writing || this.#pending.length > 0) await new Promise<void>((r) => this.#idle.push(r));
    closeSync(this.#fd);
    this.#closedSegments.push(this.#segment);
    this.compactedThrough(compactedSeq);
  }

  #newSegment(): Segment {
    const first = this.#nextSeq;
    const file = join(this.#dir, `${String(first).padStart(16, '0')}.log`);
    return { file, first, last: first - 1, size: 0 };
  }

  /** Closes the current segment and continues in a new one (by size, or after a failed write). */
  #rotate(): void {
    closeSync(this.#fd);
    this.#closedSegments.push(this.#segment);
    this.#segment = this.#newSegment();
    this.#fd = openSync(this.#segment.file, 'a');
  }

  #flush(): void {
    if (this.#writing) return;
    if (this.#pending.length === 0) {
      for (const r of this.#idle.splice(0)) r();
      return;
    }
    const taken = this.#pending;
    this.#pending = [];
    this.#writing = true;
    this.#segment.last = (taken[taken.length - 1] as Pending).seq;
    const buffers = taken.map((p) => p.record);
    let total = 0;
    for (const b of buffers) total += b.length;
    writev(this.#fd, buffers, (err, written) => {
      this.#writing = false;
      if (err || written !== total) {
        // A short write (disk full) leaves a torn record at the end of this
        // segment; later records go to a new one so that replay reads them.
        const error = err ?? new Error(`telemetry journal: wrote ${written} of ${total} bytes (disk full?)`);
        try {
          this.#rotate();
        } catch {
          // The next append's write reports the problem again.
        }
        for (const p of taken) p.reject(error);
      } else {
        this.#segment.size += total;
        if (this.#segment.size >= SEGMENT_BYTES) this.#rotate();
        for (const p of taken) p.resolve();
      }
      this.#flush();
    });
  }
}
