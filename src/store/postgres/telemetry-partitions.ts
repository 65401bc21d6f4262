import type { PgPool, Queryable } from './database.js';

const DAY = 86_400_000;

/** The time-partitioned telemetry tables and the width of their partitions (epoch-aligned ranges). */
export const PARTITION_WIDTH = {
  telemetry: DAY,
  device_events: DAY,
  telemetry_1m: 7 * DAY,
  telemetry_1h: 30 * DAY,
} as const;

export type PartitionedTable = keyof typeof PARTITION_WIDTH;
export const PARTITIONED_TABLES = Object.keys(PARTITION_WIDTH) as PartitionedTable[];

/**
 * Rollup rows and newest values are updated in place once per commit that
 * touches their series: free room in each page lets PostgreSQL write the new
 * version beside the old one without touching the index (a HOT update).
 * Raw points and events are only inserted, so their pages are filled.
 */
const FILLFACTOR: Record<PartitionedTable, number> = {
  telemetry: 100,
  device_events: 100,
  telemetry_1m: 70,
  telemetry_1h: 50,
};

/** Any constant shared by every node: serialises partition DDL across processes. */
const PARTITION_LOCK = 0x706c7470; // "pltp"

export interface Partition {
  readonly name: string;
  /** Inclusive start and exclusive end of its range, epoch ms. */
  readonly from: number;
  readonly to: number;
}

/** The start of the partition of `table` holding `ts`. */
export const partitionStart = (table: PartitionedTable, ts: number): number =>
  Math.floor(ts / PARTITION_WIDTH[table]) * PARTITION_WIDTH[table];

/** `telemetry_p20240501`: the parent and the UTC date its range starts on. */
export function partitionName(table: PartitionedTable, start: number): string {
  return `${table}_p${new Date(start).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

/** A catalog name as an SQL identifier (DDL takes no parameters). */
export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

const BOUND = /FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)/;

/** The partitions of `table` from the catalog (pg_inherits), oldest first, whatever their names. */
export async function listPartitions(q: Queryable, table: PartitionedTable): Promise<Partition[]> {
  const { rows } = await q.query<{ name: string; bound: string }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = $1::regclass`,
    [table],
  );
  const out: Partition[] = [];
  for (const r of rows) {
    const m = BOUND.exec(r.bound);
    if (m) out.push({ name: r.name, from: Number(m[1]), to: Number(m[2]) });
  }
  return out.sort((a, b) => a.from - b.from);
}

/**
 * Creates the partitions of `table` that hold the given starts, unless
 * some partition covers them already. Safe from several processes at once
 * (an advisory lock, and the catalog read under it). Exported for tools
 * that insert rows with SQL (an import): a row needs its partition first.
 */
export async function createPartitions(
  pool: PgPool,
  wanted: ReadonlyMap<PartitionedTable, Iterable<number>>,
): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await c.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK]);
    for (const [table, starts] of wanted) {
      const existing = await listPartitions(c, table);
      for (const start of starts) {
        const end = start + PARTITION_WIDTH[table];
        if (existing.some((p) => p.from < end && start < p.to)) continue;
        // Bounds are integers computed here, not values from outside.
        await c.query(
          `CREATE TABLE ${quoteIdent(partitionName(table, start))} PARTITION OF ${table}
           FOR VALUES FROM (${start}) TO (${end}) WITH (fillfactor = ${FILLFACTOR[table]})`,
        );
      }
    }
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

/**
 * The partitions known to exist, per table, so the write path checks a Set
 * instead of the catalog. Stale only after a drop by another process; a
 * write then fails with 23514 (no partition for the row), and the writer
 * reloads and retries.
 */
export class PartitionCache {
  readonly #pool: PgPool;
  readonly #known = new Map<PartitionedTable, Set<number>>(PARTITIONED_TABLES.map((t) => [t, new Set()]));

  constructor(pool: PgPool) {
    this.#pool = pool;
  }

  /** Forgets everything; the next ensure() reads the catalog again. */
  reset(): void {
    for (const s of this.#known.values()) s.clear();
  }

  /**
   * Makes sure the partitions for points on the given days (raw and both
   * rollups) and events on the given days exist.
   */
  async ensure(pointDays: ReadonlySet<number>, eventDays: ReadonlySet<number>): Promise<void> {
    const missing = new Map<PartitionedTable, Set<number>>();
    const need = (table: PartitionedTable, ts: number) => {
      const start = partitionStart(table, ts);
      if (this.#known.get(table)?.has(start)) return;
      const s = missing.get(table) ?? new Set<number>();
      missing.set(table, s.add(start));
    };
    for (const day of pointDays) {
      need('telemetry', day);
      need('telemetry_1m', day);
      need('telemetry_1h', day);
    }
    for (const day of eventDays) need('device_events', day);
    if (missing.size === 0) return;
    await createPartitions(this.#pool, missing);
    for (const [table, starts] of missing) for (const s of starts) this.#known.get(table)?.add(s);
  }

  /** Creates partitions from `from` through `to` for every table (ahead of the data). */
  async ensureRange(from: number, to: number): Promise<void> {
    const days = new Set<number>();
    for (let d = partitionStart('telemetry', from); d <= to; d += DAY) days.add(d);
    await this.ensure(days, days);
  }

  /** Drops the partitions of `table` entirely before `cut`; returns their estimated rows. */
  async dropBefore(table: PartitionedTable, cut: number): Promise<number> {
    let removed = 0;
    for (const p of await listPartitions(this.#pool, table)) {
      if (p.to > cut) break;
      // reltuples: counting a whole day of points only to report it would cost a full scan.
      const { rows } = await this.#pool.query<{ n: number }>(
        'SELECT greatest(reltuples, 0)::bigint AS n FROM pg_class WHERE oid = $1::regclass',
        [quoteIdent(p.name)],
      );
      await this.#pool.query(`DROP TABLE IF EXISTS ${quoteIdent(p.name)}`);
      this.#known.get(table)?.delete(p.from);
      removed += rows[0]?.n ?? 0;
    }
    return removed;
  }
}
