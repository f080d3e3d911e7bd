// `npm start`: migrate, serve at once (/readyz says 503 until seeded), seed
// whatever is missing, then report ready, and what start-up spent its time on.
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../config.js';
import { PgliteWorkerStore } from '../db/pgliteWorkerStore.js';
import { writePolicy } from '../graphql/writeProtection.js';

// The embedded store opens on its own thread (seconds: PGlite's WebAssembly
// and data folder) while this one loads the server's modules.
const config = loadConfig();
const opening = config.database.kind === 'pglite' ? new PgliteWorkerStore(config.database.dataDir) : undefined;
const [{ createApp }, { startHttpServer }, { createLogger }, { webPage }] = await Promise.all([
  import('../app.js'),
  import('../http/server.js'),
  import('../logger.js'),
  import('../web/webPage.js'),
]);
// Since the process started: node, tsx and every imported module.
const modulesLoaded = performance.now();
const logger = createLogger(config.logLevel, config.logFormat);
// Bundled (by esbuild, in its own process) while the store opens.
void webPage().catch(() => undefined);
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
});
const serving = performance.now();
logger.info(`store: ${app.db.kind === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL server'}`);
logger.info(`GraphQL at ${server.url}/graphql (readiness: ${server.url}/readyz)`);

const SHUTDOWN_DEADLINE_MS = 30_000;
let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info(`${signal}: shutting down`);
  // A stop that cannot finish (a stuck connection, a store that does not
  // close) must not leave a process that ignores the signal.
  setTimeout(() => {
    logger.error(`shutdown did not finish within ${SHUTDOWN_DEADLINE_MS / 1000} s: exiting anyway`);
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS).unref();
  await server.close();
  await app.close();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

try {
  await app.seed();
  const seeded = performance.now();
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  logger.info(
    `ready: ${server.url}/ — started in ${seconds(seeded)}: modules ${seconds(modulesLoaded)}, ` +
      `store and migrations ${seconds(appCreated - modulesLoaded)}, HTTP server and page ${seconds(serving - appCreated)}, ` +
      `seed (or checking it is done) ${seconds(seeded - serving)}`,
  );
  // Nothing waited for it on a restart; new image bytes will.
  void app.loadModels().catch(() => undefined);
} catch (err) {
  // Stopped by a signal mid-seed: not a failure; the next start resumes the seed.
  if (stopping) await new Promise(() => undefined);
  logger.error(`seeding failed: ${(err as Error).message}`);
  await shutdown('seed failure');
  process.exit(1);
}
