import { renameSync, unlinkSync } from 'node:fs';
import { deserialize } from 'node:v8';
import type { Logger } from '../../core/logger.js';
import type { SqliteDb } from './database.js';
import { listSegments, readSegment } from './telemetry-journal.js';
import { createTelemetryWriteOps, type PackedBatch } from './telemetry-write.js';

/** Points per replay transaction. */
const REPLAY_GROUP_POINTS = 20_000;

export interface Recovery {
  /** The seq the new journal starts at. */
  readonly nextSeq: number;
  readonly records: number;
  readonly points: number;
}

/**
 * Applies the journal records the database does not have yet (the process
 * stopped before the writer thread committed them), then removes the
 * segments. Runs at start-up, before anything reads telemetry. A torn
 * record at the end of a segment is what a crash mid-write leaves: it was
 * never acknowledged and is dropped with a warning. A record that passes its
 * checksum but cannot be decoded keeps its segment, renamed `*.damaged`.
 */
export function recoverJournal(dir: string, db: SqliteDb, log: Logger): Recovery {
  const ops = createTelemetryWriteOps(db);
  const applied = ops.journalSeq();
  let highest = applied;
  let records = 0;
  let points = 0;
  let group: PackedBatch[] = [];
  let groupPoints = 0;
  let groupSeq = applied;
  const commit = () => {
    if (group.length === 0) return;
    ops.write(group, groupSeq);
    group = [];
    groupPoints = 0;
  };
  for (const segment of listSegments(dir)) {
    const { records: found, tornBytes } = readSegment(segment.file);
    if (tornBytes > 0) {
      log.warn(
        { file: segment.file, bytes: tornBytes },
        'telemetry journal: incomplete record at the end of a segment (written when the process stopped; never acknowledged), dropped',
      );
    }
    let damaged = false;
    for (const r of found) {
      highest = Math.max(highest, r.seq);
      if (r.seq <= applied) continue;
      let batch: PackedBatch;
      try {
        batch = deserialize(r.payload) as PackedBatch;
      } catch (err) {
        damaged = true;
        log.error({ err, file: segment.file, seq: r.seq }, 'telemetry journal: record cannot be decoded');
        continue;
      }
      group.push(batch);
      groupSeq = r.seq;
      groupPoints += batch.points.ts.length + batch.events.length;
      points += batch.points.ts.length;
      records++;
      if (groupPoints >= REPLAY_GROUP_POINTS) commit();
    }
    commit();
    if (damaged) renameSync(segment.file, `${segment.file}.damaged`);
    else unlinkSync(segment.file);
  }
  if (records > 0)
    log.info({ records, points }, 'telemetry journal: replayed data the database did not have yet');
  return { nextSeq: highest + 1, records, points };
}
