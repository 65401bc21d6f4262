import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PlexusError } from '../../core/errors.js';
import { StoreErrors } from '../errors.js';

export interface DataDirLock {
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One Plexus process per data directory: `plexus.lock` holds the owner's
 * pid. SQLite alone would allow several, but the telemetry journal has one
 * owner, and a second process replaying it would apply data twice. A lock
 * left by a process that died (kill -9, power loss) is taken over.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'plexus.lock');
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner = Number.NaN;
    try {
      owner = Number(readFileSync(file, 'utf8').trim());
    } catch {
      // Removed meanwhile: try again.
    }
    if (Number.isInteger(owner) && owner > 0 && alive(owner)) {
      throw new PlexusError(
        StoreErrors.DATA_DIR_IN_USE,
        `data directory ${dataDir} is in use by process ${owner}${owner === process.pid ? ' (this one)' : ''}; stop that Plexus first or use another data directory`,
      );
    }
    try {
      unlinkSync(file);
    } catch {
      // Another process took it over first: the next round sees its pid.
    }
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      try {
        unlinkSync(file);
      } catch {
        // Already gone (data directory removed): nothing to release.
      }
    },
  };
}
