// Gives memory back after a burst of large work (uploads of 10 MB photos):
// once the burst has been over for a moment, one full garbage collection, at
// most once every MIN_INTERVAL_MS. V8 collects when it allocates, not when it
// is idle, so without this the burst's dead strings and buffers (about
// 60 MB an upload) kept RSS 400 MB above its start 30 s after the load ended,
// until the next requests happened to trigger a collection.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const QUIET_MS = 2_000;
const MIN_INTERVAL_MS = 30_000;

/** V8's own full collection, made callable without starting node with --expose-gc. */
function fullCollection(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export class MemoryRelease {
  private timer: NodeJS.Timeout | undefined;
  private lastAt = -Infinity;
  private collect: (() => void) | undefined;

  /** The burst is over for now: collect after QUIET_MS unless `busy()` says work started again. */
  burstEnded(busy: () => boolean): void {
    if (this.timer) return;
    const wait = Math.max(QUIET_MS, this.lastAt + MIN_INTERVAL_MS - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (busy()) return; // The next burst's end schedules it again.
      this.lastAt = performance.now();
      (this.collect ??= fullCollection())();
    }, wait);
    this.timer.unref();
  }
}
