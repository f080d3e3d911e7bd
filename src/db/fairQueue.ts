// Turns at the embedded store's one connection, taken fairly: each request
// (RequestScope) has its own lane, and lanes are served round-robin, one
// statement (or checkout) at a time. A request with 400 queued searches then
// delays a cheap one by one statement, not by all 400. Health probes go
// first; calls outside any request share one lane. A waiting call whose
// request is stopped (past its budget, client gone) leaves the queue at once.
import type { RequestScope } from './requestScope.js';

interface Waiter {
  grant(release: () => void): void;
  refuse(err: Error): void;
}

const UNSCOPED = 0;

export class FairQueue {
  private running = 0;
  /** Lanes with waiters, in the order they get their next turn. */
  private readonly turns: number[] = [];
  private readonly lanes = new Map<number, Waiter[]>();
  private readonly probes: Waiter[] = [];

  constructor(private readonly slots = 1) {}

  /** Whether a turn is granted now. */
  get busy(): boolean {
    return this.running > 0;
  }

  /** Calls waiting for a turn. */
  get waiting(): number {
    let count = this.probes.length;
    for (const lane of this.lanes.values()) count += lane.length;
    return count;
  }

  /** Resolves with a release function once it is `scope`'s turn. */
  acquire(scope: RequestScope | undefined): Promise<() => void> {
    scope?.check();
    // A free turn and no one waiting: granted now, with no waiter to list or stop listening for.
    if (this.running < this.slots && this.turns.length === 0 && this.probes.length === 0) {
      this.running++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      let unlisten = () => {};
      const waiter: Waiter = {
        grant: (release) => {
          unlisten();
          resolve(release);
        },
        refuse: (err) => {
          unlisten();
          reject(err);
        },
      };
      if (scope?.probe) this.probes.push(waiter);
      else this.enqueue(scope?.id ?? UNSCOPED, waiter);
      if (scope && !scope.probe) {
        unlisten = scope.onStopped(() => this.remove(scope.id, waiter, scope));
      }
      this.dispatch();
    });
  }

  private enqueue(lane: number, waiter: Waiter): void {
    const waiters = this.lanes.get(lane);
    if (waiters) {
      waiters.push(waiter);
      return;
    }
    this.lanes.set(lane, [waiter]);
    this.turns.push(lane);
  }

  private remove(lane: number, waiter: Waiter, scope: RequestScope): void {
    const waiters = this.lanes.get(lane);
    const at = waiters?.indexOf(waiter) ?? -1;
    if (at < 0) return;
    waiters!.splice(at, 1);
    if (waiters!.length === 0) {
      this.lanes.delete(lane);
      this.turns.splice(this.turns.indexOf(lane), 1);
    }
    try {
      scope.check();
    } catch (err) {
      waiter.refuse(err as Error);
    }
  }

  private next(): Waiter | undefined {
    const probe = this.probes.shift();
    if (probe) return probe;
    const lane = this.turns.shift();
    if (lane === undefined) return undefined;
    const waiters = this.lanes.get(lane)!;
    const waiter = waiters.shift()!;
    if (waiters.length > 0) this.turns.push(lane);
    else this.lanes.delete(lane);
    return waiter;
  }

  private dispatch(): void {
    while (this.running < this.slots) {
      const waiter = this.next();
      if (!waiter) return;
      this.running++;
      waiter.grant(this.releaser());
    }
  }

  /** Ends a granted turn, once, and gives the next waiter its turn. */
  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      this.dispatch();
    };
  }
}
