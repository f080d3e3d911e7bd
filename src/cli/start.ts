// `npm start`: migrate, serve at once (/readyz says 503 until seeded), seed
// whatever is missing, then report ready, and what start-up spent its time on.
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../config.js';
import { PgliteWorkerStore } from '../db/pgliteWorkerStore.js';
import { writePolicy } from '../graphql/writeProtection.js';
import { exitWithin, stopSignal } from '../lib/stopSignals.js';
import { createLogger } from '../logger.js';

const config = loadConfig();
const logger = createLogger(config.logLevel, config.logFormat);
// Heard from the start: a stop while the store opens waits for it to open
// and closes it, instead of ending the process in the middle of its writes.
const overdue = (ms: number) => logger.error(`the stop did not finish within ${ms / 1000} s: exiting anyway`);
const stopRequested = stopSignal().then((signal) => {
  exitWithin(overdue);
  return signal;
});
// The embedded store opens on its own thread (seconds: PGlite's WebAssembly
// and data folder) while this one loads the server's modules.
const opening = config.database.kind === 'pglite' ? new PgliteWorkerStore(config.database.dataDir) : undefined;
const [{ createApp }, { startHttpServer }, { webPage }] = await Promise.all([
  import('../app.js'),
  import('../http/server.js'),
  import('../web/webPage.js'),
]);
// Since the process started: node, tsx and every imported module.
const modulesLoaded = performance.now();
const app = await createApp(config, logger, opening);
const appCreated = performance.now();
const server = await startHttpServer(app.services, {
  port: config.port,
  host: config.host,
  production: config.env === 'production',
  writes: writePolicy(config),
  logger,
  corsOrigins: config.corsOrigins,
  metrics: config.metrics,
  timeBudgetMs: config.requestTimeBudgetMs,
  uploads: config.uploads,
  thumbnailCacheBytes: config.thumbnailCacheBytes,
});
const serving = performance.now();
logger.info(`store: ${app.db.kind === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL server'}`);
logger.info(`GraphQL at ${server.url}/graphql (readiness: ${server.url}/readyz)`);

// Stopping: no new connections, requests in flight answered (the HTTP
// server's drain), then the models and the store closed.
let stopping: Promise<never> | undefined;
const stop = (exitCode: number) =>
  (stopping ??= (async () => {
    exitWithin(overdue);
    await server.close();
    await app.close();
    process.exit(exitCode);
  })());
void stopRequested.then((signal) => {
  logger.info(`${signal}: stopping (requests in flight are answered first)`);
  return stop(0);
});

// Ready once the four questions are: the reference set is learnt afterwards, in the background.
const reportReady = () => {
  const seeded = performance.now();
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  logger.info(
    `ready: ${server.url}/ — started in ${seconds(seeded)}: modules ${seconds(modulesLoaded)}, ` +
      `store and migrations ${seconds(appCreated - modulesLoaded)}, HTTP server ${seconds(serving - appCreated)}, ` +
      `seed (or checking it is done) ${seconds(seeded - serving)}`,
  );
  // Nothing waited for these on a restart; new image bytes and the page's first visit will.
  void app.loadModels().catch(() => undefined);
  void webPage().catch(() => undefined);
};

try {
  await app.seed({ onReady: reportReady });
} catch (err) {
  // Stopped by a signal mid-seed: not a failure; the next start resumes the seed.
  if (!stopping) logger.error(`seeding failed: ${(err as Error).message}`);
  await stop(1);
}
