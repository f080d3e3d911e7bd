// `npm run bench -- --hostile`: a production-mode server on a scratch
// embedded store gets thousands of distinct, allowed-but-large requests of
// each shape (src/bench/hostileShapes.ts) from a client process of its own;
// the server's RSS is read before, at its peak (every 50 ms) and after each
// shape. Then an upload flood: addImage of new bytes from 1 client, from 64
// clients that resend at once when refused, and from 1 client again, in one
// run: accepted uploads per second, flood against alone.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { createApp } from '../app.js';
import type { Config } from '../config.js';
import { listPascalImages } from '../dataset/pascal.js';
import { startHttpServer } from '../http/server.js';
import { createLogger } from '../logger.js';
import type { ClientResult, ClientSpec } from './hostileClient.js';
import { hugePhoto, runHostileLoads, type LoadOutcome } from './hostileLoads.js';
import { requestShapes, uploadShape } from './hostileShapes.js';
import type { TableRow } from './benchReport.js';
import { watchRss } from './rss.js';
import { round } from './stats.js';

export interface HostileOptions {
  /** Seconds each shape may take at most (0: only the uploads). */
  shapeSeconds: number;
  /** Seconds of each connection and photo load (hostileLoads.ts; 0: none). */
  loadSeconds: number;
  /** Only the connection and photo loads. */
  loadsOnly?: boolean;
  /** Seconds of each upload run (1 client, 64 clients, 1 client). */
  floodSeconds: number;
  floodClients: number;
}

const run = promisify(execFile);
const CLIENT = fileURLToPath(new URL('./hostileClient.ts', import.meta.url));
const MiB = 2 ** 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function clients(spec: ClientSpec): Promise<ClientResult> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CLIENT, JSON.stringify(spec)], {
    maxBuffer: 16 * MiB,
    timeout: (spec.seconds + 120) * 1000,
  });
  return JSON.parse(stdout) as ClientResult;
}

/** A photo of several MiB (a Pascal photo enlarged), and one as it comes, as files for the client process. */
async function photos(config: Config, dir: string): Promise<{ large: string; typical: string }> {
  const source = readFileSync(listPascalImages(config.assets.dir)[0]!.file);
  const large = path.join(dir, 'large.jpg');
  const typical = path.join(dir, 'typical.jpg');
  writeFileSync(large, await sharp(source).resize({ width: 3200 }).jpeg({ quality: 97 }).toBuffer());
  writeFileSync(typical, source);
  return { large, typical };
}

const describe = (result: ClientResult) =>
  `${result.requests} in ${round(result.seconds, 1)} s, HTTP ${JSON.stringify(result.statuses)}` +
  (Object.keys(result.codes).length > 0 ? `, codes ${JSON.stringify(result.codes)}` : '');

export async function benchHostile(config: Config, options: HostileOptions, log: (message: string) => void) {
  const dir = mkdtempSync(path.join(tmpdir(), 'semsearch-bench-hostile-'));
  const scratch: Config = { ...config, dataDir: dir, database: { kind: 'pglite', dataDir: path.join(dir, 'pglite') } };
  const app = await createApp(scratch, createLogger('warn'));
  const loadAverage = { start: loadavg()[0]! };
  try {
    await app.loadModels();
    const server = await startHttpServer(app.services, {
      port: 0,
      host: '127.0.0.1',
      production: true,
      writes: { kind: 'open', reason: 'allowed' },
      corsOrigins: scratch.corsOrigins,
      metrics: scratch.metrics,
      uploads: scratch.uploads,
      thumbnailCacheBytes: scratch.thumbnailCacheBytes,
      logger: createLogger('warn'),
    });
    const rows: TableRow[] = [];
    const shapes: Record<string, unknown>[] = [];
    try {
      const { large, typical } = await photos(config, dir);
      let loads: LoadOutcome[] = [];
      if (options.loadSeconds > 0) {
        const huge = await hugePhoto(readFileSync(listPascalImages(config.assets.dir)[0]!.file), dir);
        const done = await runHostileLoads(app, server.url, huge, options.loadSeconds, log);
        loads = done.outcomes;
        rows.push(...done.rows);
      }
      if (options.loadsOnly) return { result: { loads, loadAverage1m: { ...loadAverage, end: loadavg()[0]! } }, rows };
      const all = options.shapeSeconds > 0 ? [...requestShapes(), uploadShape(readFileSync(large))] : [];
      for (const shape of all) {
        log(`hostile: ${shape.name}: up to ${shape.count} requests, ${shape.concurrency} at once, ${options.shapeSeconds} s at most`);
        const spec: ClientSpec = { mode: 'shape', url: server.url, shape: shape.name, seconds: options.shapeSeconds, jpegFile: large };
        const { value, rss } = await watchRss(() => clients(spec));
        const unexpected = value.requests - (value.statuses[String(shape.expect)] ?? 0);
        shapes.push({ shape: shape.name, expectedStatus: shape.expect, ...value, unexpected, rssMiB: rss });
        rows.push({
          metric: `RSS, ${shape.name}`,
          value: `${rss.before} -> peak ${rss.peak} -> ${rss.after} MiB; ${describe(value)}`,
          goal: unexpected > 0 ? `${unexpected} not HTTP ${shape.expect}` : `all HTTP ${shape.expect}`,
        });
        await fetch(`${server.url}/healthz`).then((response) => {
          if (!response.ok) throw new Error(`the server stopped answering after '${shape.name}'`);
        });
      }

      const flood = (clientsAtOnce: number, firstK: number) =>
        clients({ mode: 'flood', url: server.url, clients: clientsAtOnce, seconds: options.floodSeconds, jpegFile: typical, firstK });
      log(`hostile: uploads of new photos, 1 client, ${options.floodClients} clients, 1 client: ${options.floodSeconds} s each`);
      const alone1 = await flood(1, 0);
      await sleep(3_000);
      const { value: crowd, rss: floodRss } = await watchRss(() => flood(options.floodClients, 1_000_000));
      await sleep(3_000);
      const alone2 = await flood(1, 2_000_000);
      const rate = (result: ClientResult) => result.answered / result.seconds;
      const aloneRate = (rate(alone1) + rate(alone2)) / 2;
      const ratio = rate(crowd) / aloneRate;
      const floodResult = { alone: [alone1, alone2], flood: crowd, aloneRate, floodRate: rate(crowd), ratio, rssMiB: floodRss };
      rows.push(
        { metric: 'uploads accepted/s, 1 client (before and after the flood)', value: `${round(rate(alone1))}, ${round(rate(alone2))}` },
        {
          metric: `uploads accepted/s, ${options.floodClients} clients resending at once`,
          value: `${round(rate(crowd))} (${round(ratio)}x one client's); ${describe(crowd)}; Retry-After ${[...new Set(crowd.retryAfter)].join(',')}`,
          goal: '>= 0.8x',
        },
        { metric: 'RSS, upload flood', value: `${floodRss.before} -> peak ${floodRss.peak} -> ${floodRss.after} MiB` },
      );
      const end = loadavg()[0]!;
      return { result: { shapes, loads, uploads: floodResult, loadAverage1m: { ...loadAverage, end } }, rows };
    } finally {
      await server.close();
    }
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
