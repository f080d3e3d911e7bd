// worker_threads plumbing shared by the image-embedding pool, the embedded
// database's thread and the bench's load generator.
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker running a TypeScript module. Workers do not inherit tsx's
 * loader from the parent thread, so the worker registers it before importing.
 */
export function startTsWorker(moduleUrl: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const code =
    `import(${JSON.stringify(tsxApi)})` +
    `.then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl.href)}); });`;
  return new Worker(code, { ...options, eval: true });
}
