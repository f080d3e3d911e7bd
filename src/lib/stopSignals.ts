// How the server stops: on SIGTERM or SIGINT, whoever sends it (a supervisor,
// `docker stop` through the init process, npm passing on its own signal, a
// terminal's Ctrl-C), and always within the grace a supervisor gives before
// SIGKILL, so a stop that cannot finish still ends the process.

/** `docker stop` sends SIGKILL after 10 s (and so does the systemd unit in docs/operations.md): end before it, having said why. */
export const STOP_DEADLINE_MS = 9_000;

const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Resolves with the first SIGTERM or SIGINT. From the call on, neither ends
 * the process by default; a second one is ignored (the stop under way ends it).
 */
export function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    for (const signal of STOP_SIGNALS) process.on(signal, () => resolve(signal));
  });
}

let deadline: NodeJS.Timeout | undefined;

/** From now on the process ends within `deadlineMs`: if nothing else ended it by then, `onOverdue` and exit code 1. */
export function exitWithin(onOverdue: (deadlineMs: number) => void, deadlineMs = STOP_DEADLINE_MS): void {
  deadline ??= setTimeout(() => {
    onOverdue(deadlineMs);
    process.exit(1);
  }, deadlineMs).unref();
}
