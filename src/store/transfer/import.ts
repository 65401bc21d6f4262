import type { Readable } from 'node:stream';
import { PlexusError } from '../../core/errors.js';
import { POSTGRES_MIGRATIONS } from '../postgres/schema.js';
import { SQLITE_MIGRATIONS } from '../sqlite/migrations.js';
import type { ImportTarget } from './backend.js';
import { TransferErrors } from './errors.js';
import type { ExportHeader } from './format.js';
import type { Progress } from './progress.js';
import { type BindValue, type ExportItem, readExport } from './reader.js';
import { latestOf } from './sqlite-source.js';
import { FIRST_START_TABLES, isTransferTable, type TransferTable } from './tables.js';

/** Rows per insert batch, and a bound on their size (rows with MQTT payloads can be large). */
const BATCH_ROWS = 5000;
const BATCH_CHARS = 8 * 1024 * 1024;

export interface ImportSummary {
  readonly header: ExportHeader;
  readonly rows: Readonly<Record<string, number>>;
  readonly total: number;
  /** Tables that held what a first start of the target wrote, replaced by the import. */
  readonly replaced: readonly string[];
}

function checkHeader(h: ExportHeader): void {
  const [backend, version] = Object.entries(h.schema)[0] as [string, number];
  const latest = latestOf(backend === 'sqlite' ? SQLITE_MIGRATIONS : POSTGRES_MIGRATIONS);
  if (version > latest) {
    throw new PlexusError(
      TransferErrors.VERSION_UNSUPPORTED,
      `the export was written by Plexus ${h.plexus} from a ${backend} schema version ${version}; this Plexus knows up to ${latest}: import with Plexus ${h.plexus} or newer`,
    );
  }
  const unknown = h.tables.filter((t) => !isTransferTable(t));
  if (unknown.length > 0) {
    throw new PlexusError(
      TransferErrors.SCHEMA_MISMATCH,
      `the export holds tables this Plexus does not know (${unknown.join(', ')}): import with Plexus ${h.plexus}`,
    );
  }
}

async function prepareTarget(target: ImportTarget): Promise<string[]> {
  await target.begin();
  const occupied = await target.occupied();
  const blocking = occupied.filter((t) => !FIRST_START_TABLES.has(t as TransferTable));
  if (blocking.length > 0) {
    throw new PlexusError(
      TransferErrors.TARGET_NOT_EMPTY,
      `${target.description} already holds data (${blocking.join(', ')}): import only writes into an empty store, a new PostgreSQL database or a new data directory; nothing was changed`,
    );
  }
  await target.clear();
  return occupied;
}

async function checkColumns(target: ImportTarget, item: ExportItem & { kind: 'table' }): Promise<void> {
  const table = item.table as TransferTable;
  const cols = await target.columns(table);
  const absent = item.columns.filter((c) => !cols.has(c));
  const required = [...cols].filter(([n, c]) => c.required && !item.columns.includes(n)).map(([n]) => n);
  if (absent.length === 0 && required.length === 0) return;
  const why = [
    absent.length > 0 ? `columns not in ${target.description}: ${absent.join(', ')}` : '',
    required.length > 0 ? `required columns missing from the file: ${required.join(', ')}` : '',
  ].filter((s) => s !== '');
  throw new PlexusError(
    TransferErrors.SCHEMA_MISMATCH,
    `table ${table}, line ${item.line}: ${why.join('; ')}`,
  );
}

/**
 * Reads an export and writes it into an empty store, in the file's table
 * order (parents first), in batches, as one unit: any problem, in the file
 * or from the database, rolls the target back to what it was.
 */
export async function importStore(
  input: Readable,
  open: () => Promise<ImportTarget>,
  progress: Progress,
): Promise<ImportSummary> {
  let target: ImportTarget | undefined;
  let header: ExportHeader | undefined;
  let replaced: string[] = [];
  let table: { name: TransferTable; columns: readonly string[] } | undefined;
  let batch: BindValue[][] = [];
  let batchChars = 0;
  let batchFirst = 0;
  let batchLast = 0;
  const rows: Record<string, number> = {};

  async function flush(): Promise<void> {
    if (table === undefined || batch.length === 0) return;
    try {
      await (target as ImportTarget).insert(table.name, table.columns, batch);
    } catch (err) {
      const detail = (err as { detail?: string }).detail;
      throw new PlexusError(
        TransferErrors.WRITE_FAILED,
        `table ${table.name}, lines ${batchFirst}-${batchLast}: ${(err as Error).message}${detail ? ` (${detail})` : ''}`,
        { cause: err },
      );
    }
    rows[table.name] = (rows[table.name] ?? 0) + batch.length;
    progress.tick(batch.length);
    batch = [];
    batchChars = 0;
  }

  async function endTable(): Promise<void> {
    if (table === undefined) return;
    await flush();
    progress.end();
    table = undefined;
  }

  try {
    const items = readExport(input, async (h) => {
      checkHeader(h);
      target = await open();
      replaced = await prepareTarget(target);
      header = h;
    });
    for await (const chunk of items) {
      for (const item of chunk) {
        if (item.kind === 'row') {
          if (batch.length === 0) batchFirst = item.line;
          batchLast = item.line;
          batch.push(item.values);
          batchChars += item.chars;
          if (batch.length >= BATCH_ROWS || batchChars >= BATCH_CHARS) await flush();
        } else {
          await endTable();
          if (item.kind === 'table') {
            await checkColumns(target as ImportTarget, item);
            table = { name: item.table as TransferTable, columns: item.columns };
            rows[item.table] = 0;
            progress.begin(item.table);
          }
        }
      }
    }
    await (target as ImportTarget | undefined)?.commit();
  } catch (err) {
    await (target as ImportTarget | undefined)?.rollback().catch(() => undefined);
    throw err;
  } finally {
    await (target as ImportTarget | undefined)?.close();
  }
  return { header: header as ExportHeader, rows, total: progress.total, replaced };
}
