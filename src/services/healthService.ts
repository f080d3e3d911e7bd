// /healthz says the process is up; /readyz says what it can answer: each
// question's state (ready, seeding, waiting), and 200 only when all four are
// ready, the database answers and the models are loaded.
import type { BusyGate } from '../db/busyGate.js';
import { describeBusy } from '../db/busyGate.js';
import { asProbe } from '../db/requestScope.js';
import type { SeedStateRepository } from '../repositories/seedStateRepository.js';
import { recordsOf, REQUIRED_PHASES, type WarmupPhase } from './seedPhases.js';
import { CAPABILITIES, NEEDS, type Capability, type CapabilityState, type PhaseReport, type Warmup } from './warmup.js';

export interface Readiness {
  ready: boolean;
  capabilities: Record<Capability, CapabilityState>;
  /** While this process seeds: each phase's progress, elapsed time and ETA. */
  phases?: Partial<Record<WarmupPhase, PhaseReport>>;
  /** While this process seeds, for people: what is warming up and for about how long. */
  message?: string;
  /** Once ready, while a background phase runs (the reference set), for people: what it does and for about how long. */
  learning?: string;
  /** busy: no answer within READINESS_TIMEOUT_MS, or the embedded store building the word index. */
  database: 'ok' | 'unreachable' | 'busy';
  missingPhases: string[];
  /**
   * The image model. Loading does not hold readiness back: a question with new
   * image bytes waits the second or two until it is loaded. Failed does.
   */
  models: 'loaded' | 'loading' | 'failed';
  error?: string;
}

/** Probes want an answer, not a wait: a store that takes longer is reported busy. */
export const READINESS_TIMEOUT_MS = 3_000;

class TimeoutError extends Error {}

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`the database did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** For a process that does not seed itself: a question waits while a seed state row it needs is missing. */
function fromStoredPhases(missing: readonly string[]): Record<Capability, CapabilityState> {
  const state = (capability: Capability): CapabilityState =>
    recordsOf(NEEDS[capability]).some((record) => missing.includes(record)) ? 'waiting' : 'ready';
  return Object.fromEntries(CAPABILITIES.map((capability) => [capability, state(capability)])) as Record<
    Capability,
    CapabilityState
  >;
}

export class HealthService {
  private models: Readiness['models'] = 'loading';

  constructor(
    private readonly seedState: SeedStateRepository,
    private readonly warmup: Warmup,
    private readonly gate: BusyGate,
  ) {}

  markModelsLoaded(): void {
    this.models = 'loaded';
  }

  markModelsFailed(): void {
    this.models = 'failed';
  }

  async readiness(): Promise<Readiness> {
    const models = this.models;
    const seeding = this.warmup.active
      ? { phases: this.warmup.report(), message: this.warmup.summary(), learning: this.warmup.background() }
      : {};
    const busy = this.gate.busy;
    if (busy) {
      const capabilities = this.warmup.capabilities();
      return { ready: false, capabilities, ...seeding, database: 'busy', missingPhases: [], models, error: describeBusy(busy) };
    }
    try {
      // A probe: ahead of every request queued for the embedded store's connection.
      const done = await within(asProbe(() => this.seedState.completed()), READINESS_TIMEOUT_MS);
      const missingPhases = REQUIRED_PHASES.filter((phase) => !done.has(phase));
      const capabilities = this.warmup.active ? this.warmup.capabilities() : fromStoredPhases(missingPhases);
      const allReady = Object.values(capabilities).every((state) => state === 'ready');
      return { ready: allReady && missingPhases.length === 0 && models !== 'failed', capabilities, ...seeding, database: 'ok', missingPhases, models };
    } catch (err) {
      return {
        ready: false,
        capabilities: this.warmup.active ? this.warmup.capabilities() : fromStoredPhases(REQUIRED_PHASES),
        ...seeding,
        database: err instanceof TimeoutError ? 'busy' : 'unreachable',
        missingPhases: [...REQUIRED_PHASES],
        models,
        error: (err as Error).message,
      };
    }
  }
}
