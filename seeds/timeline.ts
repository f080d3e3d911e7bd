// The seed's phases on one clock: each phase logs one line when it ends, with
// when it started and ended (seconds since the process started) and what it
// waited for, so `npm run bench -- --first-start` can print the critical path.
import { performance } from 'node:perf_hooks';
import type { Logger } from '../src/logger.js';

/** The line's shape, parsed back by src/bench/criticalPath.ts. */
export const TIMELINE_PREFIX = 'seed timeline:';

export function timelineLine(phase: string, start: number, end: number, waitedFor: readonly string[]): string {
  return `${TIMELINE_PREFIX} ${phase} ${start.toFixed(1)}..${end.toFixed(1)} s (waited for ${waitedFor.join(',') || 'nothing'})`;
}

export class SeedTimeline {
  constructor(private readonly logger: Logger) {}

  /** Runs one phase; `waitedFor` names the phases that had to end before it could start. */
  async run<T>(phase: string, waitedFor: readonly string[], work: () => Promise<T>): Promise<T> {
    const start = performance.now() / 1000;
    const result = await work();
    this.logger.info(timelineLine(phase, start, performance.now() / 1000, waitedFor));
    return result;
  }
}
