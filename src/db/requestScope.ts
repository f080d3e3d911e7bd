// The request a database call is made for: its time budget, whether its
// client is still there, and its place in the embedded store's fair queue.
// Carried by AsyncLocalStorage from the HTTP layer to the pools, so services
// and repositories need not pass it along; calls made outside any request
// (seeding, tools) have no scope and no budget.
import { AsyncLocalStorage } from 'node:async_hooks';

export type StopReason = 'timeout' | 'disconnected';

/** A database call refused because its request was stopped: past its budget, or its client gone. */
export class RequestStoppedError extends Error {
  override name = 'RequestStoppedError';
  constructor(
    readonly reason: StopReason,
    readonly budgetMs: number,
  ) {
    super(reason === 'timeout' ? `the request ran past its time budget of ${budgetMs} ms` : 'the client disconnected');
  }
}

let nextId = 1;

export class RequestScope {
  readonly id = nextId++;
  readonly startedAt = performance.now();
  private stopReason: StopReason | undefined;
  private exempted = false;
  private counted = false;
  private timer: NodeJS.Timeout | undefined;
  /** Model work in progress, and the time model work has taken: not the store's time, so not the budget's. */
  private modelCalls = 0;
  private modelStartedAt = 0;
  private modelMs = 0;
  private readonly listeners = new Set<(reason: StopReason) => void>();

  /**
   * `budgetMs` 0: no budget (mutations, probes). `probe`: health checks,
   * served ahead of every request in the embedded store's queue.
   */
  constructor(
    private budget: number,
    readonly probe = false,
    private readonly onStop?: (reason: StopReason) => void,
  ) {
    this.arm();
  }

  get budgetMs(): number {
    return this.budget;
  }

  get stopped(): StopReason | undefined {
    return this.stopReason;
  }

  /**
   * A mutation runs to its end, client or not: its writes stay whole, and an
   * upload may wait for the model longer than a question's budget.
   */
  exempt(): void {
    this.exempted = true;
    this.budget = 0;
    clearTimeout(this.timer);
  }

  stop(reason: StopReason): void {
    if (this.stopReason || this.exempted) return;
    this.stopReason = reason;
    clearTimeout(this.timer);
    for (const listener of this.listeners) listener(reason);
    this.listeners.clear();
  }

  /** The answer went out: nothing more to stop. */
  finish(): void {
    clearTimeout(this.timer);
    this.listeners.clear();
  }

  /**
   * Throws RequestStoppedError once the request is stopped: checked before
   * each database call (the clock too, should the timer not have run yet).
   * The first refusal is reported to `onStop`: the request stopped there.
   */
  check(): void {
    if (!this.stopReason && this.budget > 0 && this.budgetedMs() >= this.budget) this.stop('timeout');
    if (!this.stopReason) return;
    if (!this.counted) {
      this.counted = true;
      this.onStop?.(this.stopReason);
    }
    throw new RequestStoppedError(this.stopReason, this.budget);
  }

  /** Calls `listener` when the request is stopped; returns how to stop listening. */
  onStopped(listener: (reason: StopReason) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Runs model work (embedding a photo) outside the budget: on a busy machine
   * the embedding queue alone can outlast it, and a question whose photo was
   * embedded should still get its search.
   */
  async outsideBudget<T>(work: Promise<T>): Promise<T> {
    if (this.modelCalls++ === 0) {
      this.modelStartedAt = performance.now();
      clearTimeout(this.timer);
    }
    try {
      return await work;
    } finally {
      if (--this.modelCalls === 0) {
        this.modelMs += performance.now() - this.modelStartedAt;
        if (!this.stopReason && !this.exempted) this.arm();
      }
    }
  }

  /** Time since the request began, less its model work. */
  private budgetedMs(): number {
    return performance.now() - this.startedAt - this.modelMs;
  }

  private arm(): void {
    if (this.budget <= 0) return;
    this.timer = setTimeout(() => this.stop('timeout'), Math.max(0, this.budget - this.budgetedMs()));
    this.timer.unref();
  }
}

const storage = new AsyncLocalStorage<RequestScope>();

/** Runs `work` (and everything it starts) as part of `scope`. */
export function runInScope<T>(scope: RequestScope, work: () => T): T {
  return storage.run(scope, work);
}

export function currentScope(): RequestScope | undefined {
  return storage.getStore();
}

/** Model work of the current request, if any, outside its time budget. */
export function outsideBudget<T>(work: Promise<T>): Promise<T> {
  return currentScope()?.outsideBudget(work) ?? work;
}

/** Health probes: ahead of the queue, never budgeted (they bound their own wait). */
export function asProbe<T>(work: () => Promise<T>): Promise<T> {
  return runInScope(new RequestScope(0, true), work);
}
