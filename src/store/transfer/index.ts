/**
 * `plexus migrate export|import`: copies a whole installation between
 * storage backends (SQLite ↔ PostgreSQL) or to a backup file and back,
 * through one portable file (format.ts, docs/migrate.md).
 * @module
 */
import { resolve } from 'node:path';
import type { Logger } from '../../core/logger.js';
import type { ExportSource, ImportTarget } from './backend.js';
import { openPgSource } from './pg-source.js';
import { openPgTarget } from './pg-target.js';
import { openSqliteSource } from './sqlite-source.js';
import { openSqliteTarget } from './sqlite-target.js';

export type { ExportSource, ImportTarget } from './backend.js';
export { TransferErrors } from './errors.js';
export { type ExportSummary, exportStore } from './export.js';
export { type ExportHeader, FORMAT, FORMAT_VERSION } from './format.js';
export { type ImportSummary, importStore } from './import.js';
export { Progress, type ProgressSink } from './progress.js';
export { openInput } from './reader.js';
export { TRANSFER_TABLES } from './tables.js';
export { ExportWriter } from './writer.js';

/** The store settings of the config (store.*, dataDir). */
export interface StoreLocation {
  readonly kind: 'sqlite' | 'postgres';
  readonly dataDir: string;
  readonly url?: string | undefined;
  readonly tls: 'off' | 'verify' | 'no-verify';
}

/**
 * @example
 * const source = await openSource({ kind: 'sqlite', dataDir: './data', tls: 'off' }, log);
 */
export async function openSource(at: StoreLocation, log: Logger): Promise<ExportSource> {
  if (at.kind === 'postgres') return openPgSource({ url: at.url as string, poolSize: 1, tls: at.tls });
  return openSqliteSource(resolve(at.dataDir), log);
}

export async function openTarget(at: StoreLocation, log: Logger): Promise<ImportTarget> {
  if (at.kind === 'postgres') return openPgTarget({ url: at.url as string, poolSize: 1, tls: at.tls });
  return openSqliteTarget(resolve(at.dataDir), log);
}
