// One process at a time in an embedded store. PGlite does not notice a second
// process opening the same folder (both open, and each overwrites the other's
// files), so whoever opens it leaves its process id in a lock file beside it;
// a second opener finds a live process there and is refused. A lock left by a
// process that no longer runs (killed) is taken over, and so is one that names
// this process without this process having taken it: in a container the
// server gets the same process id on every start, so a lock left by a killed
// container's server names its successor.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/** The embedded store is open in another process (a running server, a seed). */
export class StoreInUseError extends Error {
  override name = 'StoreInUseError';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`the embedded store in ${dataDir} is open in another process (pid ${pid}); stop it or use DATABASE_URL`);
  }
}

export interface StoreLock {
  release(): void;
}

/** The lock files this process holds. */
const held = new Set<string>();

export const lockFile = (dataDir: string) => path.join(path.dirname(dataDir), `${path.basename(dataDir)}.lock`);

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function holder(file: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Takes the store's lock or throws StoreInUseError. In-memory stores need none. */
export function lockStore(dataDir: string): StoreLock {
  if (dataDir.startsWith('memory://')) return { release() {} };
  const file = lockFile(dataDir);
  mkdirSync(path.dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      held.add(file);
      return {
        release() {
          if (!held.delete(file)) return;
          if (holder(file) === process.pid) rmSync(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = holder(file);
      // This process holds it too: a second open in one process is as unsafe.
      const inUse = pid === process.pid ? held.has(file) : pid !== null && isRunning(pid);
      if (inUse) throw new StoreInUseError(dataDir, pid!);
      rmSync(file, { force: true });
    }
  }
  throw new Error(`could not take the lock ${file}: another process keeps taking it`);
}
