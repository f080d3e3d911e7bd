// /healthz says the process is up; /readyz says it can answer: the database
// answers, every seed phase is complete and the models are loaded.
import type { SeedStateRepository } from '../repositories/seedStateRepository.js';

export interface Readiness {
  ready: boolean;
  /** busy: no answer within READINESS_TIMEOUT_MS (the embedded store building an index, say). */
  database: 'ok' | 'unreachable' | 'busy';
  missingPhases: string[];
  models: 'loaded' | 'loading';
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

export class HealthService {
  private modelsLoaded = false;

  constructor(
    private readonly seedState: SeedStateRepository,
    private readonly requiredPhases: readonly string[],
  ) {}

  markModelsLoaded(): void {
    this.modelsLoaded = true;
  }

  async readiness(): Promise<Readiness> {
    const models = this.modelsLoaded ? 'loaded' : 'loading';
    try {
      const done = await within(this.seedState.completed(), READINESS_TIMEOUT_MS);
      const missingPhases = this.requiredPhases.filter((phase) => !done.has(phase));
      return { ready: missingPhases.length === 0 && this.modelsLoaded, database: 'ok', missingPhases, models };
    } catch (err) {
      return {
        ready: false,
        database: err instanceof TimeoutError ? 'busy' : 'unreachable',
        missingPhases: [...this.requiredPhases],
        models,
        error: (err as Error).message,
      };
    }
  }
}
