import type { DbValue, SchemaStamp } from './format.js';
import type { BindValue } from './reader.js';
import type { TransferTable } from './tables.js';

/** A store being exported: every table of TRANSFER_TABLES, read in one consistent snapshot. */
export interface ExportSource {
  readonly schema: SchemaStamp;
  /** "SQLite data directory /srv/plexus/data", "PostgreSQL database plexus on db:5432". */
  readonly description: string;
  /** What the user should know about this export (a live snapshot, a replayed journal). */
  readonly notes: readonly string[];
  columns(table: TransferTable): Promise<string[]>;
  /** The rows, a page at a time (constant memory whatever the table's size). */
  rows(table: TransferTable, columns: readonly string[]): AsyncIterable<DbValue[][]>;
  close(): Promise<void>;
}

export interface TargetColumn {
  /** NOT NULL without a default: the file must carry it. */
  readonly required: boolean;
}

/**
 * A store being imported into. `begin` opens what makes the import one
 * unit (a transaction; SQLite also holds the data directory), `rollback`
 * leaves the store as `begin` found it.
 */
export interface ImportTarget {
  readonly description: string;
  /** The schema this Plexus creates on that backend: a file stamped newer was written by a newer Plexus. */
  readonly schema: SchemaStamp;
  begin(): Promise<void>;
  /** Tables that hold at least one row (checked inside the transaction). */
  occupied(): Promise<string[]>;
  /** Empties every table (what a first start wrote: FIRST_START_TABLES). */
  clear(): Promise<void>;
  columns(table: TransferTable): Promise<ReadonlyMap<string, TargetColumn>>;
  insert(table: TransferTable, columns: readonly string[], rows: readonly BindValue[][]): Promise<void>;
  /** Commits, then brings sequences past the imported keys. */
  commit(): Promise<void>;
  rollback(): Promise<void>;
  close(): Promise<void>;
}
