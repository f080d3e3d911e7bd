// The bench server's resident memory while some work runs: before, at its
// peak (read every 50 ms) and a while after the work ends.
import { round } from './stats.js';

const MiB = 2 ** 20;
export const rssMiB = () => round(process.memoryUsage.rss() / MiB, 0);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface RssWatch {
  before: number;
  peak: number;
  after: number;
}

/** The server's RSS before, at the peak while `work` runs, and `afterMs` after it ends. */
export async function watchRss<T>(work: () => Promise<T>, afterMs = 2_000): Promise<{ value: T; rss: RssWatch }> {
  const before = rssMiB();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB())), 50);
  try {
    const value = await work();
    await sleep(afterMs);
    return { value, rss: { before, peak: Math.max(peak, rssMiB()), after: rssMiB() } };
  } finally {
    clearInterval(sampler);
  }
}
