import { VERSION } from '../../core/version.js';
import type { ExportSource } from './backend.js';
import { encodeValue, FORMAT, FORMAT_VERSION, headerLine } from './format.js';
import type { Progress } from './progress.js';
import { TRANSFER_TABLES } from './tables.js';
import type { ExportWriter } from './writer.js';

export interface ExportSummary {
  readonly rows: Readonly<Record<string, number>>;
  readonly total: number;
}

/**
 * Writes the whole store to `out`, table by table in TRANSFER_TABLES
 * order, one line per row, streamed: memory stays flat whatever the size.
 */
export async function exportStore(
  source: ExportSource,
  out: ExportWriter,
  progress: Progress,
): Promise<ExportSummary> {
  out.line(
    headerLine({
      format: FORMAT,
      version: FORMAT_VERSION,
      plexus: VERSION,
      schema: source.schema,
      tables: TRANSFER_TABLES,
      createdAt: new Date().toISOString(),
    }),
  );
  const rows: Record<string, number> = {};
  for (const table of TRANSFER_TABLES) {
    const columns = await source.columns(table);
    out.line(JSON.stringify({ table, columns }));
    progress.begin(table);
    let n = 0;
    for await (const page of source.rows(table, columns)) {
      for (const row of page) {
        const values = new Array(row.length);
        for (let i = 0; i < row.length; i++) values[i] = encodeValue(row[i] ?? null);
        if (out.line(JSON.stringify(values))) await out.drain();
      }
      n += page.length;
      progress.tick(page.length);
    }
    progress.end();
    rows[table] = n;
  }
  out.line(JSON.stringify({ end: true, rows }));
  return { rows, total: progress.total };
}
