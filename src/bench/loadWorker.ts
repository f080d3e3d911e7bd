// Runs one autocannon load in its own thread, so the load generator does not
// share the event loop of the in-process server it measures.
import { parentPort, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';
import type { LoadResult, LoadSpec } from './httpLoad.js';
import { summarizeLatencies } from './stats.js';

const spec = workerData as LoadSpec;
const latencies: number[] = [];
let graphqlErrors = 0;
let firstError: string | undefined;
const errorCodes: Record<string, number> = {};

function report(result: autocannon.Result): void {
  const loadResult: LoadResult = {
    label: spec.label,
    connections: spec.connections,
    seconds: result.duration,
    requests: latencies.length + result.non2xx,
    rps: (latencies.length + result.non2xx) / result.duration,
    latencyMs: summarizeLatencies(latencies),
    connectionErrors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    graphqlErrors,
    errorCodes,
    firstError,
  };
  parentPort!.postMessage(loadResult);
}

const options: autocannon.Options = {
  url: spec.url,
  connections: spec.connections,
  duration: spec.durationSeconds,
  timeout: 30,
  requests: spec.bodies.map((body) => ({
    method: 'POST' as const,
    path: '/graphql',
    headers: { 'content-type': 'application/json' },
    body,
  })),
  // A GraphQL error arrives with status 200; the body says so.
  verifyBody: (body) => {
    const ok = !String(body).includes('"errors":');
    if (!ok) {
      graphqlErrors++;
      firstError ??= String(body).slice(0, 300);
      const code = /"code":"([A-Z_]+)"/.exec(String(body))?.[1] ?? 'none';
      errorCodes[code] = (errorCodes[code] ?? 0) + 1;
    }
    return ok;
  },
};

const instance = autocannon(options, (err, result) => {
  if (err) throw err;
  report(result);
});
// Sub-millisecond latencies (the result's histogram has whole milliseconds).
instance.on('response', (_client, statusCode, _bytes, responseTime) => {
  if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
});
