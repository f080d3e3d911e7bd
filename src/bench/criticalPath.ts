// The seed's critical path from the server's timeline lines (seeds/timeline.ts):
// from the phase that ended last, back through whichever phase it waited for
// ended last, to a phase that waited for none.
import { TIMELINE_PREFIX } from '../../seeds/timeline.js';

export interface TimelinePhase {
  phase: string;
  /** Seconds since the server process started. */
  start: number;
  end: number;
  waitedFor: string[];
}

const LINE = new RegExp(`${TIMELINE_PREFIX} (\\S+) ([\\d.]+)\\.\\.([\\d.]+) s \\(waited for ([^)]*)\\)`);

export function parseTimeline(lines: readonly string[]): TimelinePhase[] {
  return lines.flatMap((line) => {
    const match = LINE.exec(line);
    if (!match) return [];
    const waitedFor = match[4] === 'nothing' ? [] : match[4]!.split(',');
    return [{ phase: match[1]!, start: Number(match[2]), end: Number(match[3]), waitedFor }];
  });
}

export function criticalPath(phases: readonly TimelinePhase[]): TimelinePhase[] {
  const byName = new Map(phases.map((phase) => [phase.phase, phase]));
  const path: TimelinePhase[] = [];
  let current = [...phases].sort((a, b) => b.end - a.end)[0];
  while (current && !path.includes(current)) {
    path.unshift(current);
    const before: TimelinePhase[] = current.waitedFor.flatMap((name) => byName.get(name) ?? []);
    current = before.sort((a, b) => b.end - a.end)[0];
  }
  return path;
}

/** One line per phase of the path: when it ran, and how long it stood waiting after what it waited for ended. */
export function describeCriticalPath(phases: readonly TimelinePhase[]): string[] {
  const path = criticalPath(phases);
  return path.map((phase, index) => {
    const previous = path[index - 1];
    const gap = previous ? `, ${(phase.start - previous.end).toFixed(1)} s after ${previous.phase} ended` : '';
    const waited = phase.waitedFor.length > 0 ? `waited for ${phase.waitedFor.join(', ')}` : 'waited for nothing';
    return `${phase.phase}: ${phase.start.toFixed(1)} -> ${phase.end.toFixed(1)} s (${(phase.end - phase.start).toFixed(1)} s; ${waited}${gap})`;
  });
}
