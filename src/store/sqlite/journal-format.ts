import { crc32 } from 'node:zlib';

/**
 * Record framing of the telemetry journal (see telemetry-journal.ts):
 *
 *   u32 LE  payload length
 *   u32 LE  CRC-32 of the seq field and the payload
 *   f64 LE  seq (1, 2, 3, …: one per record, never reused)
 *   payload
 *
 * A process killed mid-write leaves at most one short or corrupt record at
 * the end of a segment; the reader stops there and reports it.
 */
export const RECORD_HEADER = 16;
/** Far above any record the writer makes (one event-loop turn of data); a larger length means corruption. */
export const MAX_RECORD = 256 * 1024 * 1024;

export function encodeRecord(seq: number, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(RECORD_HEADER + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeDoubleLE(seq, 8);
  out.set(payload, RECORD_HEADER);
  out.writeUInt32LE(crc32(out.subarray(8)), 4);
  return out;
}

export interface JournalRecord {
  readonly seq: number;
  readonly payload: Buffer;
}

export interface DecodedSegment {
  readonly records: JournalRecord[];
  /** Bytes from the first record that could not be read to the end (0: the segment is whole). */
  readonly tornBytes: number;
}

/** Reads records until the end or the first incomplete or corrupt one. */
export function decodeSegment(buf: Buffer): DecodedSegment {
  const records: JournalRecord[] = [];
  let at = 0;
  while (at < buf.length) {
    if (buf.length - at < RECORD_HEADER) break;
    const len = buf.readUInt32LE(at);
    if (len > MAX_RECORD || buf.length - at - RECORD_HEADER < len) break;
    const end = at + RECORD_HEADER + len;
    if (crc32(buf.subarray(at + 8, end)) !== buf.readUInt32LE(at + 4)) break;
    const seq = buf.readDoubleLE(at + 8);
    if (!Number.isSafeInteger(seq) || seq < 1) break;
    records.push({ seq, payload: buf.subarray(at + RECORD_HEADER, end) });
    at = end;
  }
  return { records, tornBytes: buf.length - at };
}
