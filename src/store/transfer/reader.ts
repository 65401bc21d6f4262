import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { PlexusError } from '../../core/errors.js';
import { TransferErrors } from './errors.js';
import { badLine, decodeValue, type ExportHeader, parseHeader } from './format.js';

export type BindValue = string | number | bigint | Buffer | null;

export type ExportItem =
  | {
      readonly kind: 'table';
      readonly table: string;
      readonly columns: readonly string[];
      readonly line: number;
    }
  | { readonly kind: 'row'; readonly values: BindValue[]; readonly line: number; readonly chars: number }
  | { readonly kind: 'end'; readonly rows: Readonly<Record<string, number>>; readonly line: number };

/**
 * Reads an export and checks it as it goes: the header first, tables in
 * the header's order, every row's arity and values, the end line's counts.
 * Items come in arrays (one per decompressed chunk) so that the per-row
 * cost stays a function call, not a promise. Nothing is yielded past the
 * first problem, which is thrown as a typed error naming table and line.
 */
export async function* readExport(
  input: Readable,
  onHeader: (h: ExportHeader) => void | Promise<void>,
): AsyncGenerator<ExportItem[]> {
  const gunzip = pipeline(input, createGunzip(), () => undefined);
  const decoder = new StringDecoder('utf8');
  const state = new ReaderState();
  let rest = '';
  try {
    for await (const chunk of gunzip) {
      const text = rest + decoder.write(chunk as Buffer);
      const lines = text.split('\n');
      rest = lines.pop() as string;
      const items: ExportItem[] = [];
      for (const l of lines) {
        const item = state.accept(l);
        if (item === 'header') await onHeader(state.header as ExportHeader);
        else if (item !== undefined) items.push(item);
      }
      if (items.length > 0) yield items;
    }
  } catch (err) {
    throw zlibError(err, state.line);
  }
  const tail = rest + decoder.end();
  const last = tail === '' ? undefined : state.accept(tail);
  if (last === 'header') await onHeader(state.header as ExportHeader);
  else if (last !== undefined) yield [last];
  state.finish();
}

/** Opens a file (or stdin for `-`) for readExport. */
export function openInput(file: string): Readable {
  return file === '-' ? process.stdin : createReadStream(file);
}

function zlibError(err: unknown, line: number): unknown {
  if (err instanceof PlexusError) return err;
  const e = err as NodeJS.ErrnoException;
  if (line === 0 && (e.code === 'Z_DATA_ERROR' || e.code === 'Z_BUF_ERROR')) {
    const why =
      e.code === 'Z_DATA_ERROR' ? 'not gzip-compressed' : 'empty, or cut short before its first line';
    return new PlexusError(TransferErrors.NOT_AN_EXPORT, `not a Plexus export file: ${why}`, { cause: err });
  }
  if (e.code === 'Z_BUF_ERROR' || e.code === 'Z_DATA_ERROR') {
    const how = e.code === 'Z_BUF_ERROR' ? 'is truncated' : `is damaged (${e.message})`;
    return new PlexusError(TransferErrors.FILE_DAMAGED, `the export file ${how} after line ${line}`, {
      cause: err,
    });
  }
  return err;
}

class ReaderState {
  header: ExportHeader | undefined;
  line = 0;
  #table: { name: string; columns: readonly string[]; line: number; rows: number } | undefined;
  #next = 0;
  readonly #counts = new Map<string, number>();
  #ended = false;

  /** One line: 'header' for line 1, an item, or undefined for a blank line after the end. */
  accept(text: string): ExportItem | 'header' | undefined {
    this.line++;
    if (this.line === 1) {
      if (text === '')
        throw new PlexusError(TransferErrors.NOT_AN_EXPORT, 'not a Plexus export file: it is empty');
      this.header = parseHeader(text);
      return 'header';
    }
    if (this.#ended) {
      if (text.trim() === '') return undefined;
      throw badLine(this.line, undefined, 'text after the end line');
    }
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw badLine(this.line, this.#table?.name, 'not valid JSON');
    }
    if (Array.isArray(v)) return this.#row(v, text.length);
    if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.table === 'string') return this.#tableLine(o.table, o.columns);
      if (o.end === true) return this.#end(o.rows);
    }
    throw badLine(this.line, this.#table?.name, 'expected a row (JSON array), a table line or the end line');
  }

  #row(values: unknown[], chars: number): ExportItem {
    const t = this.#table;
    if (t === undefined) throw badLine(this.line, undefined, 'a row before the first table line');
    if (values.length !== t.columns.length) {
      throw badLine(
        this.line,
        t.name,
        `the row has ${values.length} values, the table line (line ${t.line}) names ${t.columns.length} columns`,
      );
    }
    const out: BindValue[] = new Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const d = decodeValue(values[i]);
      if (d === undefined)
        throw badLine(this.line, t.name, `column ${t.columns[i]}: not a value Plexus exports`);
      out[i] = d;
    }
    t.rows++;
    return { kind: 'row', values: out, line: this.line, chars };
  }

  #tableLine(name: string, columns: unknown): ExportItem {
    const h = this.header as ExportHeader;
    const expected = h.tables[this.#next];
    if (name !== expected) {
      const why =
        expected === undefined ? 'all tables of the header are done' : `the header lists ${expected} next`;
      throw badLine(this.line, name, `unexpected table line: ${why}`);
    }
    if (
      !Array.isArray(columns) ||
      columns.length === 0 ||
      !columns.every((c) => typeof c === 'string' && c !== '') ||
      new Set(columns).size !== columns.length
    ) {
      throw badLine(this.line, name, '"columns" must list distinct column names');
    }
    this.#closeTable();
    this.#next++;
    this.#table = { name, columns: columns as string[], line: this.line, rows: 0 };
    return { kind: 'table', table: name, columns: columns as string[], line: this.line };
  }

  #end(rows: unknown): ExportItem {
    this.#closeTable();
    const h = this.header as ExportHeader;
    if (this.#next < h.tables.length)
      throw badLine(
        this.line,
        undefined,
        `end line before table ${h.tables[this.#next]} (listed in the header)`,
      );
    if (rows === null || typeof rows !== 'object')
      throw badLine(this.line, undefined, 'end line without row counts');
    for (const [table, n] of this.#counts) {
      const expected = (rows as Record<string, unknown>)[table];
      if (expected !== n)
        throw badLine(this.line, table, `the end line counts ${String(expected)} rows, the file holds ${n}`);
    }
    this.#ended = true;
    return { kind: 'end', rows: Object.fromEntries(this.#counts), line: this.line };
  }

  #closeTable(): void {
    if (this.#table) this.#counts.set(this.#table.name, this.#table.rows);
    this.#table = undefined;
  }

  /** At the end of the input: a file without its end line was cut short. */
  finish(): void {
    if (this.#ended) return;
    if (this.line <= 1 && this.header === undefined)
      throw new PlexusError(TransferErrors.NOT_AN_EXPORT, 'not a Plexus export file: it is empty');
    const inside = this.#table ? ` inside table ${this.#table.name}` : '';
    throw new PlexusError(
      TransferErrors.FILE_DAMAGED,
      `the export file is truncated: it ends at line ${this.line}${inside} without its end line`,
    );
  }
}
