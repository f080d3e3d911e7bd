// /healthz says the process is up; /readyz says it can answer: the database
// answers, every seed phase is complete and the models are loaded.
import type { SeedStateRepository } from '../repositories/seedStateRepository.js';

export interface Readiness {
  ready: boolean;
  database: 'ok' | 'unreachable';
  missingPhases: string[];
  models: 'loaded' | 'loading';
  error?: string;
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
      const done = await this.seedState.completed();
      const missingPhases = this.requiredPhases.filter((phase) => !done.has(phase));
      return { ready: missingPhases.length === 0 && this.modelsLoaded, database: 'ok', missingPhases, models };
    } catch (err) {
      return {
        ready: false,
        database: 'unreachable',
        missingPhases: [...this.requiredPhases],
        models,
        error: (err as Error).message,
      };
    }
  }
}
