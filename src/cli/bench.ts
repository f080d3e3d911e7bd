// `npm run bench`: measures an already seeded store over HTTP (our server
// in-process, or BENCH_URL) and writes bench/results.json plus a table.
//   --duration S   seconds per load (default 10)
//   --ef LIST      word ef_search values for the recall sweep (default 40,100,200,400,800)
//   --queries N    sampled query words for recall (default 200)
//   --out FILE     results file (default bench/results.json; sections are merged into it)
//   --soak S       only the soak: S seconds (default 60) of all queries mixed at 32 clients
//   --word-index   only the embedded store's word index parameters (own store; --rounds N, default 2;
//                  --candidates 16/40,12/32 builds only these m/ef_construction pairs)
//   --import N     images for the import-vs-seed measurement (default 64; 0 skips it)
//   --import-rounds R  rounds of it, alternating which path goes first (default 2)
//   --import-only  only the import-vs-seed measurement
//   --first-start  only the first start: the real `npm start` on an empty DATA_DIR (a new
//                  folder under --first-start-dir, default the system's temp folder), each
//                  question's first answer and /readyz 200, the seed's critical path phase by
//                  phase, then a restart's time to ready; with --against REF, REF's first, then this one's,
//                  then --restart-rounds N (default 8) alternating restarts of both stores: median ratio
//                  this / against with a 95% interval
//   --against REF  this checkout against another commit (src/bench/against.ts): each side a server
//                  of its own (REF built in a temporary git worktree) on a store of the same content,
//                  the four questions and similarImages(id) at --clients clients in --against-rounds
//                  alternating rounds (both sides in one block, taking turns: request by request
//                  at one client, in slices of the load at many), shared among --server-starts
//                  server pairs (default 4; both start again between groups of rounds); median
//                  ratio this / against with a 95% interval, for wall time and CPU per request.
//                  --store pglite|postgres (postgres: DATABASE_URL is the admin URL, each side
//                  gets a fresh database), --images-limit N / --words-limit N
//                  (seed settings of both sides), --requests N per one-client block (default 200),
//                  --load-seconds S per many-client block (default 2), --store-cache DIR keeps
//                  embedded stores between runs (keyed by commit, side and settings)
//   --restart DIR  only a restart of the store seeded in DIR (a DATA_DIR): its time to ready; with
//                  --against REF --against-store DIR2, --restart-rounds alternating restarts of both
//   --hostile      only hostile clients, on a scratch store: RSS before/peak/after for each shape of
//                  large distinct requests, and uploads accepted/s under a flood of 64 clients
//                  against 1 client (--hostile-seconds S per shape, default 20, 0: only the uploads; the uploads 15 s a run);
//                  first, trickling and chunked uploads and photo readers with a cheap query's p99 beside each and
//                  RSS 30 s after (--hostile-load-seconds S each, default 20, 0: none; --hostile-loads-only)
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { App } from '../app.js';
import { loadConfig } from '../config.js';
import { writePolicy } from '../graphql/writeProtection.js';
import { startHttpServer } from '../http/server.js';
import { createLogger } from '../logger.js';
import { formatTable, writeResults, type TableRow } from '../bench/benchReport.js';
import { benchAgainst } from '../bench/against.js';
import { benchCostRule } from '../bench/costRule.js';
import { benchFirstStart, benchRestart, benchRestartRounds, type FirstStartOptions, type RestartSide } from '../bench/firstStart.js';
import { formatRatio, median } from '../bench/ratioStats.js';
import { checkoutRef, currentCode } from '../bench/refCheckout.js';
import { benchHostile } from '../bench/hostile.js';
import { benchImages } from '../bench/imageBench.js';
import { benchSteering } from '../bench/steeringBench.js';
import { benchImportVsSeed } from '../bench/importBench.js';
import { soak } from '../bench/soak.js';
import { benchWords } from '../bench/wordBench.js';
import { benchWordIndexParams } from '../bench/wordIndexParams.js';
import { IMAGES_PHASE } from '../../seeds/images.js';
import { WORDS_PHASE } from '../../seeds/words.js';
import { withApp } from './boot.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    ef: { type: 'string', default: '40,100,200,400,800' },
    queries: { type: 'string', default: '200' },
    out: { type: 'string', default: 'bench/results.json' },
    soak: { type: 'string' },
    'word-index': { type: 'boolean', default: false },
    rounds: { type: 'string', default: '2' },
    candidates: { type: 'string' },
    import: { type: 'string', default: '64' },
    'import-rounds': { type: 'string', default: '2' },
    'import-only': { type: 'boolean', default: false },
    'first-start': { type: 'boolean', default: false },
    'first-start-dir': { type: 'string', default: tmpdir() },
    'first-start-timeout': { type: 'string', default: '1800' },
    'restart-rounds': { type: 'string', default: '8' },
    'against-store': { type: 'string' },
    restart: { type: 'string' },
    hostile: { type: 'boolean', default: false },
    against: { type: 'string' },
    'against-rounds': { type: 'string', default: '20' },
    'server-starts': { type: 'string', default: '4' },
    store: { type: 'string' },
    'images-limit': { type: 'string' },
    'words-limit': { type: 'string' },
    requests: { type: 'string', default: '200' },
    'load-seconds': { type: 'string', default: '2' },
    clients: { type: 'string', default: '16' },
    'store-cache': { type: 'string' },
    'ready-timeout': { type: 'string', default: '3600' },
    'hostile-seconds': { type: 'string', default: '20' },
    'hostile-load-seconds': { type: 'string', default: '20' },
    'hostile-loads-only': { type: 'boolean', default: false },
  },
});
const numberList = (text: string) => text.split(',').map((part) => Number.parseInt(part, 10)).filter((n) => n > 0);

const config = loadConfig();
const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

const machine = () => ({ cores: availableParallelism(), memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version });
const readResults = () => (existsSync(args.out) ? (JSON.parse(readFileSync(args.out, 'utf8')) as Record<string, unknown>) : {});

/** The same assets for every checkout: a temporary worktree is not beside them. */
const sharedAssets = { ASSETS_DIR: config.assets.dir };

/** A new, empty store folder for a first start. */
const newStoreDir = () => mkdtempSync(path.join(path.resolve(args['first-start-dir']), 'semsearch-first-start-'));

/** How a checkout is started on a store of its own (another process owns the store: this one only spawns it and asks questions). */
const startOptions = (label: string, dataDir: string, cwd?: string): FirstStartOptions => ({
  dataDir,
  cwd,
  env: sharedAssets,
  port: config.port,
  timeoutSeconds: Number(args['first-start-timeout']),
  log: (message) => log(`${label}: ${message}`),
});

/** One first start (and restart) of a checkout, with the load average around it. */
async function firstStartOf(options: FirstStartOptions, label: string) {
  const loadAverageAtStart = loadavg()[0]!;
  const { result, rows } = await benchFirstStart(options);
  const loadAverage1m = { start: loadAverageAtStart, end: loadavg()[0]! };
  const title = `semsearch first start, ${label}: ${machine().cores} cores (1-min load average ${loadAverage1m.start.toFixed(1)} -> ${loadAverage1m.end.toFixed(1)})`;
  process.stdout.write(`${formatTable(title, rows)}\n\n`);
  return { generatedAt: new Date().toISOString(), machine: { ...machine(), loadAverage1m }, ...result };
}

/** Alternating restarts of both seeded stores (--restart-rounds), with the load average around them. */
async function restartRoundsOf(thisSide: RestartSide, againstSide: RestartSide) {
  const rounds = Number(args['restart-rounds']);
  const loadAverage1m = { start: loadavg()[0]! };
  const result = await benchRestartRounds(thisSide, againstSide, rounds);
  const end = loadavg()[0]!;
  const title = `semsearch restarts, this checkout against ${args.against}: ${rounds} alternating rounds (1-min load average ${loadAverage1m.start.toFixed(1)} -> ${end.toFixed(1)})`;
  const seconds = (values: number[]) => `median ${median(values).toFixed(2)} s (${values.map((value) => value.toFixed(1)).join(', ')})`;
  const rows: TableRow[] = [
    { metric: 'restart: /readyz 200, this / against', value: formatRatio(result.ratio), goal: '<= 0.8' },
    { metric: 'restart: /readyz 200, this checkout', value: seconds(result.thisSeconds) },
    { metric: `restart: /readyz 200, ${args.against}`, value: seconds(result.againstSeconds) },
  ];
  process.stdout.write(`${formatTable(title, rows)}\n\n`);
  return { ...result, loadAverage1m: { ...loadAverage1m, end } };
}

if (args['first-start']) {
  if (args.against) {
    // One after the other on the same machine: REF's first start, then this checkout's.
    const checkout = checkoutRef(currentCode(), args.against, log);
    try {
      const againstSide = { label: `against ${args.against}`, options: startOptions(`against ${args.against}`, newStoreDir(), checkout.dir) };
      const thisSide = { label: 'this checkout', options: startOptions('this checkout', newStoreDir()) };
      const against = { ref: args.against, commit: checkout.commit, ...(await firstStartOf(againstSide.options, againstSide.label)) };
      const current = { commit: currentCode().commit, ...(await firstStartOf(thisSide.options, thisSide.label)) };
      const restarts = await restartRoundsOf(thisSide, againstSide);
      writeResults(args.out, { ...readResults(), firstStart: current, firstStartAgainst: against, restartRounds: restarts });
    } finally {
      checkout.remove();
    }
  } else {
    writeResults(args.out, { ...readResults(), firstStart: await firstStartOf(startOptions('this checkout', newStoreDir()), 'this checkout') });
  }
  process.stdout.write(`written to ${args.out}\n`);
  process.exit(0);
}

if (args.restart !== undefined && args.against) {
  // Restarts only, of two stores a first start seeded before (--restart DIR for this checkout, --against-store DIR for REF).
  if (!args['against-store']) throw new Error('--restart DIR --against REF needs --against-store DIR: the store REF restarts on');
  const checkout = checkoutRef(currentCode(), args.against, log);
  try {
    // A restart's bound, as for --restart alone.
    const side = (label: string, dataDir: string, cwd?: string): RestartSide => ({
      label,
      options: { ...startOptions(label, path.resolve(dataDir), cwd), timeoutSeconds: 120 },
    });
    const restartRounds = await restartRoundsOf(side('this checkout', args.restart), side(`against ${args.against}`, args['against-store'], checkout.dir));
    writeResults(args.out, { ...readResults(), restartRounds });
  } finally {
    checkout.remove();
  }
  process.stdout.write(`written to ${args.out}\n`);
  process.exit(0);
}

if (args.against) {
  const storeKind = args.store ?? (config.database.kind === 'postgres' ? 'postgres' : 'pglite');
  if (storeKind !== 'pglite' && storeKind !== 'postgres') throw new Error(`--store ${storeKind}: pglite or postgres`);
  const seedEnv: Record<string, string> = { ...sharedAssets };
  if (args['images-limit'] !== undefined) seedEnv.IMAGES_LIMIT = args['images-limit'];
  if (args['words-limit'] !== undefined) seedEnv.WORDS_LIMIT = args['words-limit'];
  const adminUrl = config.database.kind === 'postgres' ? config.database.url : undefined;
  const { result, rows } = await benchAgainst({
    ref: args.against,
    store: { kind: storeKind, adminUrl, cacheDir: args['store-cache'] },
    seedEnv,
    rounds: Number(args['against-rounds']),
    serverStarts: Number(args['server-starts']),
    block: { requests: Number(args.requests), seconds: Number(args['load-seconds']) },
    loadClients: Number(args.clients),
    warmupRequests: Math.min(200, Number(args.requests)),
    readyTimeoutSeconds: Number(args['ready-timeout']),
    log,
  });
  const against = { ...result, machine: machine() };
  writeResults(args.out, { ...readResults(), against });
  const { start, end } = result.loadAverage;
  const title =
    `semsearch ${result.this.commit.slice(0, 7)}${result.this.uncommittedChanges ? '+changes' : ''} against ${args.against}: ${storeKind} store, ` +
    `${machine().cores} cores, load average ${start.map((n) => n.toFixed(1)).join(' ')} -> ${end.map((n) => n.toFixed(1)).join(' ')}, ` +
    `${args['against-rounds']} rounds; ratio = this / against, median [95% interval]`;
  process.stdout.write(`${formatTable(title, rows)}\n\nwritten to ${args.out}\n`);
  process.exit(0);
}

if (args.restart !== undefined) {
  const loadAverageAtStart = loadavg()[0]!;
  const options = { dataDir: path.resolve(args.restart), port: config.port, timeoutSeconds: 120, log };
  const { result, rows } = await benchRestart(options);
  const loadAverage1m = { start: loadAverageAtStart, end: loadavg()[0]! };
  const restart = { generatedAt: new Date().toISOString(), machine: { ...machine(), loadAverage1m }, ...result };
  writeResults(args.out, { ...readResults(), restart });
  const title = `semsearch restart: ${machine().cores} cores (1-min load average ${loadAverage1m.start.toFixed(1)} -> ${loadAverage1m.end.toFixed(1)})`;
  process.stdout.write(`${formatTable(title, rows)}\n\nwritten to ${args.out}\n`);
  process.exit(0);
}

if (args.hostile) {
  const options = {
    shapeSeconds: Number(args['hostile-seconds']),
    loadSeconds: Number(args['hostile-load-seconds']),
    loadsOnly: args['hostile-loads-only'],
    floodSeconds: 15,
    floodClients: 64,
  };
  const { result, rows } = await benchHostile(config, options, log);
  writeResults(args.out, { ...readResults(), hostile: { generatedAt: new Date().toISOString(), machine: machine(), ...result } });
  const { start, end } = result.loadAverage1m;
  const title = `semsearch hostile clients: ${machine().cores} cores (1-min load average ${start.toFixed(1)} -> ${end.toFixed(1)})`;
  process.stdout.write(`${formatTable(title, rows)}\n\nwritten to ${args.out}\n`);
  process.exit(0);
}

if (config.benchUrl && config.database.kind === 'pglite') {
  throw new Error('BENCH_URL needs DATABASE_URL: the embedded store cannot be opened by two processes at once');
}
async function runBench(app: App, url: string): Promise<void> {
  const seedPhases = Object.fromEntries(await app.repositories.seedState.completed());
  if (!seedPhases[WORDS_PHASE]) throw new Error('the store has no words yet: run `npm run seed` first');
  const durationSeconds = Number(args.duration);
  const rows: TableRow[] = [];
  // The machine may be shared: the load average says how contended the CPUs were.
  const loadAverageAtStart = loadavg()[0]!;

  const sections: Record<string, unknown> = {};
  /** The import's images/s against the seed's, measured here (issue goal: ratio >= 0.8). */
  const importVsSeed = async () => {
    const images = Number(args.import);
    if (!(images > 0)) return;
    const measured = await benchImportVsSeed(app, { images, rounds: Number(args['import-rounds']) || 2 }, log);
    sections.importVsSeed = measured.result;
    rows.push(...measured.rows);
  };
  await app.embedder.loadModels();
  if (args.soak !== undefined) {
    const soaked = await soak(app, url, Number(args.soak) || 60, 32, log);
    sections.soak = soaked.result;
    rows.push(...soaked.rows);
  } else if (args['import-only']) {
    await importVsSeed();
  } else {
    const words = await benchWords(
      app,
      { url, clients: [1, 16], durationSeconds, recallQueries: Number(args.queries), efSweep: numberList(args.ef) },
      log,
    );
    sections.words = words.result;
    rows.push(...words.rows);
    if (seedPhases[IMAGES_PHASE]) {
      const images = await benchImages(app, { url, clients: [1, 16], durationSeconds, recallQueries: 100 }, log);
      sections.images = images.result;
      rows.push(...images.rows);
      const steeringPhotos = (await app.repositories.images.page(20, null)).map((image) => image.id);
      const steering = await benchSteering(
        { url, durationSeconds, imageIds: steeringPhotos, words: await app.repositories.words.sample(20, 10_000) },
        log,
      );
      sections.steering = steering.result;
      rows.push(...steering.rows);
      const [photo] = await app.repositories.images.page(1, null);
      const costRule = await benchCostRule(url, photo!.id);
      sections.costRule = costRule.result;
      rows.push(...costRule.rows);
    } else {
      log('images: not seeded, skipped');
    }
    await importVsSeed();
  }

  for (const [phase, details] of Object.entries(seedPhases)) {
    rows.push({ metric: `seed phase '${phase}'`, value: JSON.stringify(details) });
  }
  const results = {
    ...readResults(),
    generatedAt: new Date().toISOString(),
    store: app.db.kind,
    server: config.benchUrl ? 'BENCH_URL' : 'in-process',
    machine: { ...machine(), loadAverage1m: { start: loadAverageAtStart, end: loadavg()[0]! } },
    durationSeconds,
    seedPhases,
    ...sections,
  };
  writeResults(args.out, results);
  const { cores, loadAverage1m } = results.machine;
  const title =
    `semsearch bench: ${app.db.kind} store, ${cores} cores (1-min load average ` +
    `${loadAverage1m.start.toFixed(1)} -> ${loadAverage1m.end.toFixed(1)}), ${durationSeconds} s per load`;
  process.stdout.write(`${formatTable(title, rows)}\n\nwritten to ${args.out}\n`);
}

const quieter = config.logLevel === 'info' ? 'warn' : config.logLevel;
if (args['word-index']) {
  // It opens a store of its own and needs neither the app nor the server.
  const { candidates, queries, rounds, out } = args;
  const options = { candidates, queries: Number(queries), rounds: Number(rounds), out };
  await benchWordIndexParams(config, createLogger(quieter, config.logFormat), options, log);
} else {
  await withApp(async (app) => {
    const server = config.benchUrl ? undefined : await startHttpServer(app.services, {
          port: 0,
          host: '127.0.0.1',
          production: false,
          writes: writePolicy(app.config),
          logger: app.logger,
          corsOrigins: app.config.corsOrigins,
          metrics: app.config.metrics,
          uploads: app.config.uploads,
          thumbnailCacheBytes: app.config.thumbnailCacheBytes,
        });
    try {
      await runBench(app, config.benchUrl ?? server!.url);
    } finally {
      await server?.close();
    }
  }, config, quieter);
}
