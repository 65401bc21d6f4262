import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { PurgeRule } from '../telemetry.js';
import { openSqlite } from './database.js';
import { createTelemetryWriteOps, type PackedBatch } from './telemetry-write.js';

/**
 * The SQLite telemetry writer's thread (ARCHITECTURE §7): it owns a write
 * connection to the same file, so a commit never stalls the main thread's
 * sockets. Requests are answered in order, one transaction each.
 */
export type WorkerRequest =
  | {
      readonly id: number;
      readonly op: 'write';
      readonly batches: readonly PackedBatch[];
      /** The highest journal record among the batches. */
      readonly seq?: number;
    }
  | { readonly id: number; readonly op: 'purge'; readonly rules: readonly PurgeRule[] }
  | { readonly id: number; readonly op: 'forget'; readonly tenant: string; readonly device?: string }
  | { readonly id: number; readonly op: 'close' };

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string };

/** Nice value of this thread: on a shared core, the protocol thread comes first. */
const WRITER_NICE = 10;

/**
 * Lowers this thread's scheduling priority (Linux: setpriority on the
 * thread's own id). Commits are large and can wait a few milliseconds; a
 * PUBACK waiting for the core while one runs cannot (paced-50k p99 on one
 * core: 46 ms at equal priority, 10 ms with this; bench/RESULTS.md). It only
 * matters while both threads want the core: when devices wait for the
 * writer (flow control), the main thread is idle and the writer has it all.
 */
function yieldToMainThread(): void {
  if (process.platform !== 'linux') return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, WRITER_NICE);
  } catch {
    // No /proc or not permitted: equal priority, only the latency tail is longer.
  }
}

const port = parentPort;
if (port) {
  const { dataDir, file } = workerData as { dataDir: string; file?: string };
  const db = openSqlite(dataDir, file);
  yieldToMainThread();
  const ops = createTelemetryWriteOps(db);
  port.on('message', (req: WorkerRequest) => {
    let reply: WorkerReply;
    try {
      let result: unknown;
      if (req.op === 'write') result = ops.write(req.batches, req.seq);
      else if (req.op === 'purge') result = ops.purge(req.rules);
      else if (req.op === 'forget') result = ops.forget(req.tenant, req.device);
      else {
        db.close();
        result = null;
      }
      reply = { id: req.id, ok: true, result };
    } catch (err) {
      reply = { id: req.id, ok: false, error: (err as Error).message };
    }
    port.postMessage(reply);
    if (req.op === 'close') port.close();
  });
}
