// CPU time of processes from /proc/<pid>/stat (user + system, every thread;
// a one-thread process from its schedstat, in nanoseconds):
// steadier than wall time on a shared machine, and it can be read for another
// process, e.g. a PostgreSQL backend serving the measured server.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

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

/** Seconds of CPU a process has used so far, or undefined when it is gone (or /proc is not there). */
export function processCpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (2nd field) may hold spaces: fields are counted after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // num_threads is the 20th field of the line, the 18th after the name.
  if (Number(fields[17]) === 1) {
    const exact = singleThreadCpuSeconds(pid);
    if (exact !== undefined) return exact;
  }
  // utime and stime are the 14th and 15th fields of the line, the 12th and 13th after the name.
  return (Number(fields[11]) + Number(fields[12])) / clockTicks();
}

/**
 * A one-thread process (a PostgreSQL backend) from /proc/<pid>/schedstat, in
 * nanoseconds: /proc/<pid>/stat counts 10 ms ticks, and a backend serving 40
 * small searches can use less than one, so a ratio of two such readings was
 * 0 or infinite. schedstat covers the main thread alone, which for a
 * one-thread process is all of it. Undefined where the kernel does not keep it.
 */
function singleThreadCpuSeconds(pid: number): number | undefined {
  try {
    const nanoseconds = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
    return nanoseconds > 0 ? nanoseconds / 1e9 : undefined;
  } catch {
    return undefined;
  }
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
