// One process at a time in an embedded store. PGlite does not notice a second
// process opening the same folder (both open, and each overwrites the other's
// files), so whoever opens it leaves its process id in a lock file beside it;
// a second opener finds a live process there and is refused. A lock left by a
// process that no longer runs (killed, also while its parent has not reaped
// it yet) is taken over. The lock also names when
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

/** The fields of /proc/PID/stat after `pid (comm)` (state first), or undefined where there is no /proc or no such process. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state …: comm may hold spaces and parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** A process's start time (the 22nd field of /proc/PID/stat), or undefined. */
const startTime = (pid: number): string | undefined => statFields(pid)?.[19];

const self = (): Holder => ({ pid: process.pid, started: startTime(process.pid) });

function isRunning({ pid, started }: Holder): boolean {
  const fields = statFields(pid);
  // Killed and not yet reaped by its parent (a zombie, or being reaped): it runs no code and holds no file.
  if (fields && (fields[0] === 'Z' || fields[0] === 'X')) return false;
  if (started !== undefined && fields?.[19] !== undefined) return fields[19] === started;
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
