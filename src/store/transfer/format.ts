import { PlexusError } from '../../core/errors.js';
import { TransferErrors } from './errors.js';

/**
 * The export file (docs/migrate.md): gzip-compressed NDJSON. Line 1 is the
 * header; each table follows as a `{"table","columns"}` line and one JSON
 * array per row; a last `{"end":true,"rows":{…}}` line carries the row
 * count of every table, so a file cut short is told from a complete one
 * even where gzip cannot tell (a copy that stopped at a block boundary).
 */
export const FORMAT = 'plexus-export';
export const FORMAT_VERSION = 1;

export type SchemaStamp = { readonly sqlite: number } | { readonly postgres: number };

export interface ExportHeader {
  readonly format: typeof FORMAT;
  readonly version: number;
  /** Version of the Plexus that wrote the file. */
  readonly plexus: string;
  /** Schema version of the source database (the backend's own numbering). */
  readonly schema: SchemaStamp;
  readonly tables: readonly string[];
  readonly createdAt: string;
}

export interface TableLine {
  readonly table: string;
  readonly columns: readonly string[];
}

export interface EndLine {
  readonly end: true;
  readonly rows: Readonly<Record<string, number>>;
}

/** A value as SQLite or pg hands it out. */
export type DbValue = string | number | bigint | boolean | Buffer | Uint8Array | null | object;
/** A value in a row line. */
export type FileValue = string | number | null | { readonly $base64: string } | { readonly $number: string };

/**
 * JSON has no bytes, no infinities and no integers past 2^53: those are
 * tagged objects, which no other value can be (JSON documents are stored
 * as text and travel as strings).
 */
export function encodeValue(v: DbValue): FileValue {
  if (v === null || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : { $number: String(v) };
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : { $number: v.toString() };
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Uint8Array)
    return { $base64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  // json/jsonb columns (PostgreSQL) arrive parsed; SQLite keeps the same documents as text.
  return JSON.stringify(v);
}

/** The value to bind: Buffer for bytes, bigint for an integer past 2^53, number or string otherwise. */
export function decodeValue(v: unknown): string | number | bigint | Buffer | null | undefined {
  if (v === null || typeof v === 'string' || typeof v === 'number') return v;
  if (typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (typeof o.$base64 === 'string') return Buffer.from(o.$base64, 'base64');
    if (typeof o.$number === 'string') {
      if (/^-?\d+$/.test(o.$number)) return BigInt(o.$number);
      const n = Number(o.$number);
      if (!Number.isNaN(n) || o.$number === 'NaN') return n;
    }
  }
  return undefined;
}

export function headerLine(h: ExportHeader): string {
  return JSON.stringify(h);
}

function notAnExport(why: string): PlexusError {
  return new PlexusError(TransferErrors.NOT_AN_EXPORT, `not a Plexus export file: ${why}`);
}

function isStamp(s: unknown): s is SchemaStamp {
  if (s === null || typeof s !== 'object') return false;
  const keys = Object.keys(s);
  const v = (s as Record<string, unknown>)[keys[0] ?? ''];
  return keys.length === 1 && (keys[0] === 'sqlite' || keys[0] === 'postgres') && Number.isInteger(v);
}

/** Parses and checks line 1. */
export function parseHeader(text: string): ExportHeader {
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw notAnExport('line 1 is not a JSON header');
  }
  if (h === null || typeof h !== 'object' || h.format !== FORMAT)
    throw notAnExport(`line 1 has no "format":"${FORMAT}"`);
  if (typeof h.version !== 'number' || !Number.isInteger(h.version))
    throw notAnExport('the header has no format version');
  if (h.version > FORMAT_VERSION) {
    throw new PlexusError(
      TransferErrors.VERSION_UNSUPPORTED,
      `export format version ${h.version} was written by Plexus ${String(h.plexus)}; this Plexus reads version ${FORMAT_VERSION}: import with that version or newer`,
    );
  }
  const tables = h.tables;
  if (
    !Array.isArray(tables) ||
    !tables.every((t) => typeof t === 'string') ||
    new Set(tables).size !== tables.length
  )
    throw notAnExport('the header\'s "tables" is not a list of distinct table names');
  if (!isStamp(h.schema)) throw notAnExport('the header\'s "schema" is not {"sqlite":N} or {"postgres":N}');
  if (typeof h.plexus !== 'string' || typeof h.createdAt !== 'string')
    throw notAnExport('the header lacks "plexus" or "createdAt"');
  return h as unknown as ExportHeader;
}

export function badLine(line: number, table: string | undefined, why: string): PlexusError {
  const where = table === undefined ? `line ${line}` : `table ${table}, line ${line}`;
  return new PlexusError(TransferErrors.BAD_LINE, `${where}: ${why}`);
}
