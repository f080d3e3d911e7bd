// The embedded store is one PGlite instance on one thread: while it builds the
// word index it answers nothing else, for minutes. A question that needs it
// then is refused at once (DatabaseBusyError, answered as SERVICE_UNAVAILABLE
// with what it is doing and for about how long) instead of queueing behind the
// build. The seed itself uses the pool without the gate: its writes wait.
import type pg from 'pg';

export interface BusyWork {
  /** What the store is doing, for people: "building the word index". */
  what: string;
  startedAt: number;
  /** Expected duration from a measured rate; undefined when unknown. */
  estimateSeconds?: number;
}

export class DatabaseBusyError extends Error {
  constructor(readonly work: BusyWork) {
    super(describeBusy(work));
    this.name = 'DatabaseBusyError';
  }
}

export function describeBusy(work: BusyWork, now = Date.now()): string {
  const elapsed = Math.round((now - work.startedAt) / 1000);
  const left = work.estimateSeconds === undefined ? undefined : Math.round(work.estimateSeconds - elapsed);
  const remaining =
    left === undefined ? '' : left > 0 ? `, about ${left} s left` : `, taking longer than the ${Math.round(work.estimateSeconds!)} s estimated`;
  return `The embedded database is ${work.what} (${elapsed} s so far${remaining}); retry then.`;
}

export class BusyGate {
  private current: BusyWork | undefined;

  get busy(): BusyWork | undefined {
    return this.current;
  }

  /** Runs `work` with the gate closed: questions are refused until it settles. */
  async closedWhile<T>(what: string, estimateSeconds: number | undefined, work: () => Promise<T>): Promise<T> {
    this.current = { what, startedAt: Date.now(), estimateSeconds };
    try {
      return await work();
    } finally {
      this.current = undefined;
    }
  }

  check(): void {
    if (this.current) throw new DatabaseBusyError(this.current);
  }

  /** The same pool, except that a query or checkout is refused while the gate is closed. */
  guard(pool: pg.Pool): pg.Pool {
    return new Proxy(pool, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver);
        if (property !== 'query' && property !== 'connect') return typeof value === 'function' ? value.bind(target) : value;
        return (...args: unknown[]) => {
          if (this.current) {
            const err = new DatabaseBusyError(this.current);
            const callback = args.find((arg) => typeof arg === 'function') as ((e: Error) => void) | undefined;
            if (callback) return void callback(err);
            return Promise.reject(err);
          }
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }
}
