import type { PgClient } from '../postgres/database.js';
import {
  listPartitions,
  PARTITION_WIDTH,
  type PartitionedTable,
  partitionName,
  partitionStart,
} from '../postgres/telemetry-partitions.js';
import type { BindValue } from './reader.js';
import { quoteIdent } from './tables.js';

const isPartitioned = (t: string): t is PartitionedTable => Object.hasOwn(PARTITION_WIDTH, t);

/**
 * The partitions an import's rows need (telemetry-partitions.ts: one per
 * day, week or month of the table's time column), created on the import's
 * own connection: its transaction holds the parent tables, so the
 * writer's createPartitions (a connection of its own) would wait on it.
 * Inside the transaction, a rolled-back import takes its partitions along.
 */
export class ImportPartitions {
  readonly #client: PgClient;
  readonly #starts = new Map<PartitionedTable, Set<number>>();
  readonly #keyColumn = new Map<PartitionedTable, string>();

  constructor(client: PgClient) {
    this.#client = client;
  }

  /** Makes sure every row of a batch has its partition; `columns` are the batch's. */
  async ensure(table: string, columns: readonly string[], rows: readonly BindValue[][]): Promise<void> {
    if (!isPartitioned(table)) return;
    const known = await this.#known(table);
    const at = columns.indexOf(await this.#key(table));
    const missing = new Set<number>();
    for (const r of rows) {
      const start = partitionStart(table, Number(r[at]));
      if (!known.has(start)) missing.add(start);
    }
    for (const start of missing) {
      // Bounds are integers computed here, not values from the file.
      await this.#client.query(
        `CREATE TABLE ${quoteIdent(partitionName(table, start))} PARTITION OF ${quoteIdent(table)}
         FOR VALUES FROM (${start}) TO (${start + PARTITION_WIDTH[table]})`,
      );
      known.add(start);
    }
  }

  async #known(table: PartitionedTable): Promise<Set<number>> {
    let s = this.#starts.get(table);
    if (!s) {
      s = new Set((await listPartitions(this.#client, table)).map((p) => p.from));
      this.#starts.set(table, s);
    }
    return s;
  }

  /** The partition key column, from the catalog. */
  async #key(table: PartitionedTable): Promise<string> {
    let k = this.#keyColumn.get(table);
    if (k === undefined) {
      const r = await this.#client.query(
        `SELECT a.attname AS name FROM pg_partitioned_table p
         JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
         WHERE p.partrelid = $1::regclass`,
        [table],
      );
      k = (r.rows[0] as { name: string }).name;
      this.#keyColumn.set(table, k);
    }
    return k;
  }
}
