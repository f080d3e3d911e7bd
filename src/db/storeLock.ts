// One process at a time in an embedded store. PGlite does not notice a second
// process opening the same folder (both open, and each overwrites the other's
// files), so whoever opens it leaves its process id in a lock file beside it;
// a second opener finds a live process there and is refused. A lock left by a
// process that no longer runs (killed) is taken over. The lock also names when
// that process started: in a container every start reuses the same few
// process ids, so a killed container's lock names a pid that runs again after
// a restart (this server, one of its threads, its esbuild), as another process.
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

export const lockFile = (dataDir: string) => path.join(path.dirname(dataDir), `${path.basename(dataDir)}.lock`);

interface Holder {
  pid: number;
  /** When it started (clock ticks since boot); absent where there is no /proc, or in a lock of an older version. */
  started?: string;
}

/** A process's start time from /proc/PID/stat (its 22nd field), or undefined. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state …: comm may hold spaces and parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

const self = (): Holder => ({ pid: process.pid, started: startTime(process.pid) });

function isRunning({ pid, started }: Holder): boolean {
  if (started !== undefined) {
    const now = startTime(pid);
    if (now !== undefined) return now === started;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function holder(file: string): Holder | null {
  try {
    const [pidText, started] = readFileSync(file, 'utf8').trim().split(/\s+/);
    const pid = Number.parseInt(pidText ?? '', 10);
    return Number.isInteger(pid) && pid > 0 ? { pid, started } : null;
  } catch {
    return null;
  }
}

const sameHolder = (a: Holder | null, b: Holder) => a?.pid === b.pid && a.started === b.started;

/** Takes the store's lock or throws StoreInUseError. In-memory stores need none. */
export function lockStore(dataDir: string): StoreLock {
  if (dataDir.startsWith('memory://')) return { release() {} };
  const file = lockFile(dataDir);
  mkdirSync(path.dirname(file), { recursive: true });
  const me = self();
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${me.pid}${me.started === undefined ? '' : ` ${me.started}`}\n`);
      closeSync(fd);
      return {
        release() {
          if (sameHolder(holder(file), me)) rmSync(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const current = holder(file);
      // This process holds it too: a second open in one process is as unsafe.
      if (current !== null && isRunning(current)) throw new StoreInUseError(dataDir, current.pid);
      rmSync(file, { force: true });
    }
  }
  throw new Error(`could not take the lock ${file}: another process keeps taking it`);
}
