// Turns at the embedded store's one connection, taken fairly: each request
// (RequestScope) has its own lane, and lanes are served round-robin, one
// statement (or checkout) at a time. A request with 400 queued searches then
// delays a cheap one by one statement, not by all 400. Health probes go
// first; calls outside any request share one lane. A waiting call whose
// request is stopped (past its budget, client gone) leaves the queue at once.
import type { RequestScope } from './requestScope.js';

/** A call waiting for its turn: granted or refused once. */
class Waiter {
  /** Stops listening for its request's stop. */
  unlisten: (() => void) | undefined;

  constructor(
    readonly grant: (turn: Turn) => void,
    private readonly reject: (err: Error) => void,
  ) {}

  refuse(err: Error): void {
    this.unlisten?.();
    this.reject(err);
  }
}

/** A granted turn: `release` ends it, once, and gives the next waiter its turn. */
export class Turn {
  private released = false;

  constructor(private readonly queue: FairQueue) {}

  release(): void {
    if (this.released) return;
    this.released = true;
    this.queue.ended();
  }
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

  /** Whether any call waits for a turn (cheaper than counting them). */
  get hasWaiters(): boolean {
    return this.probes.length > 0 || this.turns.length > 0;
  }

  /** Calls waiting for a turn. */
  get waiting(): number {
    let count = this.probes.length;
    for (const lane of this.lanes.values()) count += lane.length;
    return count;
  }

  /** Resolves with the turn once it is `scope`'s. */
  acquire(scope: RequestScope | undefined): Promise<Turn> {
    scope?.check();
    // A free turn and no one waiting: granted now, with no waiter to list or stop listening for.
    if (this.running < this.slots && this.turns.length === 0 && this.probes.length === 0) {
      this.running++;
      return Promise.resolve(new Turn(this));
    }
    return new Promise((resolve, reject) => {
      const waiter = new Waiter(resolve, reject);
      if (scope?.probe) this.probes.push(waiter);
      else this.enqueue(scope?.id ?? UNSCOPED, waiter);
      if (scope && !scope.probe) waiter.unlisten = scope.onStopped(() => this.remove(scope.id, waiter, scope));
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
      waiter.unlisten?.();
      waiter.grant(new Turn(this));
    }
  }

  /** A granted turn ended (Turn.release): the next waiter gets it. */
  ended(): void {
    this.running--;
    this.dispatch();
  }
}
