// `npm start`: migrate, serve at once (/readyz says 503 until seeded), seed
// whatever is missing, then report ready.
import { loadConfig } from '../config.js';
import { writePolicy } from '../graphql/writeProtection.js';
import { startHttpServer } from '../http/server.js';
import { openApp } from './boot.js';

const config = loadConfig();
const app = await openApp(config);
const { logger } = app;
const server = await startHttpServer(app.services, {
  port: config.port,
  host: config.host,
  production: config.env === 'production',
  writes: writePolicy(config),
  logger,
});
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
  logger.info(`ready: ${server.url}/`);
} catch (err) {
  // Stopped by a signal mid-seed: not a failure; the next start resumes the seed.
  if (stopping) await new Promise(() => undefined);
  logger.error(`seeding failed: ${(err as Error).message}`);
  await shutdown('seed failure');
  process.exit(1);
}
