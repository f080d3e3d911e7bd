// HTTP load over /graphql: autocannon in a worker thread, several loads at
// once when a scenario mixes clients (e.g. uploads beside word queries).
import { startSiblingWorker } from '../lib/workerThreads.js';
import type { LatencySummary } from './stats.js';

export interface LoadSpec {
  label: string;
  url: string;
  /** Request bodies (GraphQL JSON); each connection cycles through them. */
  bodies: string[];
  connections: number;
  durationSeconds: number;
}

export interface LoadResult {
  label: string;
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  latencyMs: LatencySummary;
  connectionErrors: number;
  timeouts: number;
  non2xx: number;
  graphqlErrors: number;
  /** GraphQL errors by extensions.code. */
  errorCodes: Record<string, number>;
  firstError?: string;
}

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = startSiblingWorker(import.meta.url, 'loadWorker', { workerData: spec });
    worker.once('message', (result: LoadResult) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

/** Runs loads side by side; each result covers the same wall-clock window. */
export function runLoads(specs: LoadSpec[]): Promise<LoadResult[]> {
  return Promise.all(specs.map(runLoad));
}

export function graphqlBody(query: string, variables: Record<string, unknown> = {}): string {
  return JSON.stringify({ query, variables });
}

export function unexpectedErrors(result: LoadResult): number {
  return result.connectionErrors + result.non2xx + result.graphqlErrors;
}
