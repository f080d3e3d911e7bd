// The hostile bench's connection and photo loads (hostileLoadClient.ts): 16
// trickling uploads, 32 chunked uploads of a large photo at once, 16 readers
// of a large stored photo. Per load: the p99 of a cheap query (`{ categories }`)
// sent beside it, and the server's RSS before, at its peak and 30 s after.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { promisify } from 'node:util';
import type { App } from '../app.js';
import type { LoadResult, LoadSpec } from './hostileLoadClient.js';
import type { TableRow } from './benchReport.js';
import { watchRss, type RssWatch } from './rss.js';
import { round, summarizeLatencies } from './stats.js';

const run = promisify(execFile);
const CLIENT = fileURLToPath(new URL('./hostileLoadClient.ts', import.meta.url));
/** How long after a load its RSS is read again: the "30 s after the load ends". */
export const SETTLE_SECONDS = 30;

export interface LoadOutcome {
  load: string;
  result: LoadResult;
  /** Milliseconds of the cheap query sent beside the load. */
  cheapQuery: { p50Ms: number; p99Ms: number; count: number };
  rssMiB: RssWatch;
}

/**
 * `{ categories }` every 100 ms until `done`, from the bench's own process:
 * its latency is what any client sees of the server's event loop and store
 * queue, without the load client's own CPU (it runs at the lowest priority).
 */
async function cheapQueries(url: string, done: () => boolean): Promise<number[]> {
  const latencies: number[] = [];
  while (!done()) {
    const started = performance.now();
    try {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query":"{ categories }"}',
      });
      await response.arrayBuffer();
      latencies.push(performance.now() - started);
    } catch {
      latencies.push(Number.POSITIVE_INFINITY);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return latencies;
}

async function client(spec: LoadSpec): Promise<LoadResult> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CLIENT, JSON.stringify(spec)], {
    maxBuffer: 16 * 2 ** 20,
    timeout: (spec.seconds + 120) * 1000,
  });
  return JSON.parse(stdout) as LoadResult;
}

/** A photo near the 10 MiB limit (the report's was 9.8 MB), from `source` enlarged, as a file in `dir`. */
export async function hugePhoto(source: Buffer, dir: string): Promise<{ file: string; bytes: Buffer }> {
  let bytes = source;
  for (const width of [5600, 5000, 4400, 3800, 3200]) {
    bytes = await sharp(source).resize({ width }).jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toBuffer();
    if (bytes.length <= 9.9 * 2 ** 20) break;
  }
  const file = path.join(dir, 'huge.jpg');
  writeFileSync(file, bytes);
  return { file, bytes };
}

/** `photo`: a photo of several MiB, as a file; it is also stored once for the readers. */
export async function runHostileLoads(
  app: App,
  url: string,
  photo: { file: string; bytes: Buffer },
  seconds: number,
  log: (message: string) => void,
): Promise<{ outcomes: LoadOutcome[]; rows: TableRow[] }> {
  const stored = await app.services.images.addImage({ base64: photo.bytes.toString('base64') }, 'bench');
  const mib = (photo.bytes.length / 2 ** 20).toFixed(1);
  const loads: [string, LoadSpec][] = [
    ['16 trickling uploads (70,000 bytes declared, 1 byte / 5 s) + a real upload each second', { load: 'trickle', url, seconds, jpegFile: photo.file }],
    [`32 chunked uploads of a ${mib} MiB photo at once`, { load: 'chunked', url, seconds, jpegFile: photo.file }],
    [`16 readers of a stored ${mib} MiB photo (thumbnails of 8 widths, originals)`, { load: 'photoReads', url, seconds, id: stored.id }],
  ];
  const outcomes: LoadOutcome[] = [];
  const rows: TableRow[] = [];
  for (const [name, spec] of loads) {
    log(`hostile: ${name}: ${seconds} s, then ${SETTLE_SECONDS} s to settle`);
    let loading = true;
    const { value, rss } = await watchRss(async () => {
      const beside = cheapQueries(url, () => !loading);
      const result = await client(spec).finally(() => (loading = false));
      return { result, cheapMs: await beside };
    }, SETTLE_SECONDS * 1000);
    const latencies = summarizeLatencies(value.cheapMs);
    const cheapQuery = { p50Ms: round(latencies.p50, 1), p99Ms: round(latencies.p99, 1), count: latencies.count };
    const { result } = value;
    outcomes.push({ load: name, result, cheapQuery, rssMiB: rss });
    const real = result.realUploads ? `; real uploads ${result.realUploads.answered}/${result.realUploads.sent} answered` : '';
    rows.push({
      metric: name,
      value:
        `{ categories } p99 ${cheapQuery.p99Ms} ms (p50 ${cheapQuery.p50Ms}, ${cheapQuery.count} sent); ` +
        `RSS ${rss.before} -> peak ${rss.peak} -> ${rss.after} MiB ${SETTLE_SECONDS} s after; HTTP ${JSON.stringify(result.statuses)}${real}`,
      goal: 'RSS after within 200 MB of before',
    });
  }
  return { outcomes, rows };
}
