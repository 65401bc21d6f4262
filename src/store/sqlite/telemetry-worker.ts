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
  | { readonly id: number; readonly op: 'write'; readonly batch: PackedBatch }
  | { readonly id: number; readonly op: 'purge'; readonly rules: readonly PurgeRule[] }
  | { readonly id: number; readonly op: 'forget'; readonly tenant: string; readonly device?: string }
  | { readonly id: number; readonly op: 'close' };

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string };

const port = parentPort;
if (port) {
  const { dataDir, file } = workerData as { dataDir: string; file?: string };
  const db = openSqlite(dataDir, file);
  const ops = createTelemetryWriteOps(db);
  port.on('message', (req: WorkerRequest) => {
    let reply: WorkerReply;
    try {
      let result: unknown;
      if (req.op === 'write') result = ops.write(req.batch);
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
