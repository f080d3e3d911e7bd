// CPU time of processes from /proc: the sum of their threads' schedstat, in
// nanoseconds, or /proc/<pid>/stat (user + system, in 10 ms ticks) where the
// kernel keeps no schedstat. Steadier than wall time on a shared machine, and
// it can be read for another process, e.g. a PostgreSQL backend serving the
// measured server.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** The kernel's clock ticks per second (USER_HZ), in which /proc counts CPU time. */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * Seconds of CPU a process has used so far, or undefined when it is gone (or
 * /proc is not there). From its threads' schedstat where the kernel keeps it:
 * /proc/<pid>/stat counts 10 ms ticks, so a block of 200 requests at 1.2 ms
 * (240 ms of CPU) read from it moved by up to a tick at each end, ±4% of the
 * block, and a ratio of two blocks by twice that; a PostgreSQL backend
 * serving 40 small searches can use less than one tick. A thread that ended
 * between two readings takes its time with it (the server's threads live as
 * long as it does).
 */
export function processCpuSeconds(pid: number): number | undefined {
  return threadsCpuSeconds(pid) ?? tickedCpuSeconds(pid);
}

/** The sum of the process's threads' time on a CPU (schedstat's first field, ns); undefined without schedstat. */
function threadsCpuSeconds(pid: number): number | undefined {
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  let nanoseconds = 0;
  for (const thread of threads) {
    try {
      nanoseconds += Number(readFileSync(`/proc/${pid}/task/${thread}/schedstat`, 'utf8').split(' ')[0]);
    } catch (err) {
      // A thread that ended after the listing: its time is gone either way.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ESRCH') continue;
      return undefined;
    }
  }
  return nanoseconds > 0 && Number.isFinite(nanoseconds) ? nanoseconds / 1e9 : undefined;
}

/** From /proc/<pid>/stat: user + system time of every thread, in clock ticks. */
function tickedCpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (2nd field) may hold spaces: fields are counted after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are the 14th and 15th fields of the line, the 12th and 13th after the name.
  return (Number(fields[11]) + Number(fields[12])) / clockTicks();
}

/** CPU seconds of each process that could be read. */
export function cpuOf(pids: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    const seconds = processCpuSeconds(pid);
    if (seconds !== undefined) out.set(pid, seconds);
  }
  return out;
}

/**
 * CPU used between two readings by a set of processes. One that appeared in
 * between counts from zero (it started then); one gone by the end is lost and counted.
 */
export function cpuDelta(before: Map<number, number>, after: Map<number, number>): { seconds: number; lost: number } {
  let seconds = 0;
  for (const [pid, end] of after) seconds += end - (before.get(pid) ?? 0);
  const lost = [...before.keys()].filter((pid) => !after.has(pid)).length;
  return { seconds, lost };
}
