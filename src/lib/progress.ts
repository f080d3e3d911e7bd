// Progress for long jobs: a live line on a terminal, a line every few seconds
// in logs (CI, docker), always with a rate and an ETA.

export interface Progress {
  tick(done?: number): void;
  finish(): void;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds.toFixed(0)}s`;
  return `${Math.floor(seconds / 60)}m${Math.round(seconds % 60)
    .toString()
    .padStart(2, '0')}s`;
}

export function createProgress(
  label: string,
  total: number,
  unit: string,
  out: NodeJS.WriteStream = process.stderr,
  alreadyDone = 0,
): Progress {
  const started = Date.now();
  const interactive = out.isTTY === true;
  const everyMs = interactive ? 200 : 5_000;
  let done = alreadyDone;
  let lastPrint = 0;

  const render = (final: boolean) => {
    const seconds = (Date.now() - started) / 1000;
    const rate = (done - alreadyDone) / Math.max(seconds, 1e-3);
    const percent = total > 0 ? Math.min(100, (100 * done) / total) : 100;
    const eta = rate > 0 ? (total - done) / rate : Number.POSITIVE_INFINITY;
    const width = 24;
    const filled = Math.round((percent / 100) * width);
    const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
    const line =
      `${label} [${bar}] ${done}/${total} ${unit} ${percent.toFixed(0)}% ` +
      `${rate.toFixed(1)} ${unit}/s ${final ? `in ${formatDuration(seconds)}` : `ETA ${formatDuration(eta)}`}`;
    out.write(interactive ? `\r${line}${final ? '\n' : ''}` : `${line}\n`);
  };

  return {
    tick(n = 1) {
      done += n;
      const now = Date.now();
      if (now - lastPrint >= everyMs) {
        lastPrint = now;
        render(false);
      }
    },
    finish() {
      render(true);
    },
  };
}
