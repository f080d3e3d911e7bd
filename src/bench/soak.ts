// A long mixed load (every query, a few uploads) at many clients: errors by
// code and the server process's memory at start and end.
import type { App } from '../app.js';
import { runLoad, type LoadResult } from './httpLoad.js';
import { imageQueryBodies, uploadBodies } from './imageBench.js';
import { loadRow, type TableRow } from './benchReport.js';
import { similarWordsBodies } from './wordBench.js';

/** Refusals that are the documented answer to overload, not failures. */
const EXPECTED_UNDER_LOAD = new Set(['OVERLOADED']);

/** Round-robin over the lists, so every connection sees every kind of query. */
function interleave(lists: string[][]): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < lists.reduce((n, list) => n + list.length, 0); i++) {
    for (const list of lists) if (i < list.length) out.push(list[i]!);
  }
  return out;
}

const memory = () => {
  const { rss, heapUsed } = process.memoryUsage();
  return { rssMiB: Math.round(rss / 2 ** 20), heapUsedMiB: Math.round(heapUsed / 2 ** 20) };
};

export async function soak(app: App, url: string, seconds: number, connections: number, log: (message: string) => void) {
  const images = await imageQueryBodies(app);
  const uploads = await uploadBodies(app, 2);
  const bodies = interleave([
    await similarWordsBodies(app),
    images.similarById,
    images.tagsForImage,
    images.imagesForText,
    uploads.bodies,
  ]);
  // Lazy loads (models, pools, JIT) settle in a warm-up, so start-to-end growth means a leak.
  log('soak: 10 s warm-up with the same mix');
  await runLoad({ label: 'warm-up', url, bodies, connections, durationSeconds: 10 });
  const start = memory();
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(memory().rssMiB), 5_000);
  log(`soak: ${seconds} s at ${connections} clients over ${bodies.length} mixed requests (${uploads.bodies.length} uploads)`);
  const result: LoadResult = await runLoad({ label: 'mixed', url, bodies, connections, durationSeconds: seconds });
  clearInterval(sampler);
  const end = memory();
  const expected = Object.entries(result.errorCodes)
    .filter(([code]) => EXPECTED_UNDER_LOAD.has(code))
    .reduce((n, [, count]) => n + count, 0);
  const unexpectedErrors = result.connectionErrors + result.non2xx + result.graphqlErrors - expected;
  const rows: TableRow[] = [
    loadRow(`soak, all queries mixed, ${seconds} s`, result),
    { metric: 'soak unexpected errors', value: String(unexpectedErrors), goal: '0' },
    { metric: 'soak errors by code', value: JSON.stringify(result.errorCodes) },
    {
      metric: 'server process RSS start -> end (after warm-up)',
      value: `${start.rssMiB} -> ${end.rssMiB} MiB (heap ${start.heapUsedMiB} -> ${end.heapUsedMiB} MiB; every 5 s: ${samples.join(' ')})`,
      goal: 'flat',
    },
  ];
  return { result: { load: result, unexpectedErrors, memory: { start, end, rssEvery5sMiB: samples } }, rows };
}
