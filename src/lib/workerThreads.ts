// worker_threads plumbing shared by the image-embedding pool, the embedded
// database's thread and the bench's load generator.
import path from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker running the module `name` that sits beside the caller
 * (`callerUrl`: its import.meta.url), with the caller's own extension: `.ts`
 * under tsx, `.js` in the compiled build. Workers do not inherit tsx's loader
 * from the parent thread, so a TypeScript worker registers it before importing.
 */
export function startSiblingWorker(callerUrl: string, name: string, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const moduleUrl = new URL(`./${name}${path.extname(new URL(callerUrl).pathname)}`, callerUrl);
  if (!moduleUrl.pathname.endsWith('.ts')) return new Worker(moduleUrl, options);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const code =
    `import(${JSON.stringify(tsxApi)})` +
    `.then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl.href)}); });`;
  return new Worker(code, { ...options, eval: true });
}
