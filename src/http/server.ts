// HTTP: GraphQL at /graphql, health probes, images and the web page.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { DEFAULT_THUMBNAIL_CACHE_BYTES, DEFAULT_UPLOAD_SETTINGS, type Config } from '../config.js';
import { createContext, type GraphQLContext } from '../graphql/context.js';
import { operationRecordPlugin } from '../graphql/operationRecord.js';
import { requestBudgetPlugin } from '../graphql/requestBudget.js';
import { buildSchema } from '../graphql/schema.js';
import { responseExtensionsPlugin } from '../graphql/responseExtensions.js';
import { writePolicyWarning, writeProtectionPlugin, type WritePolicy } from '../graphql/writeProtection.js';
import type { Logger } from '../logger.js';
import { corsHandler } from './cors.js';
import { formatError } from './faults.js';
import { answerExpectContinue, uploadGate } from './earlyRefusals.js';
import { graphqlBodyGuards, MAX_BODY_BYTES, queryProtection } from './limits.js';
import { requestBudget } from './requestBudget.js';
import { documentCache, persistedQueryCache } from './queryCaches.js';
import { clientFacing, graphqlErrorLog, jsonErrors, notFoundAsJson } from './requestErrors.js';
import { bodyDeadlines, serverTimeouts, TIMEOUTS, type Timeouts } from './timeouts.js';
import { imageRouter } from './imageRoutes.js';
import { ThumbnailCache } from './thumbnails.js';
import { metricsRouter } from './metrics.js';
import { operationRecordOf, requestLog } from './requestLog.js';
import type { Services } from '../services/index.js';
import { webPageRouter } from '../web/webPage.js';

/** REQUEST_TIME_BUDGET_MS's default, for servers built without a configuration (tools, tests). */
const DEFAULT_TIME_BUDGET_MS = 2_000;

/** How long a stop waits for requests in flight before closing their connections. */
const STOP_GRACE_MS = 5_000;

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface HttpOptions {
  port: number;
  host: string;
  /** Production mode: no introspection, no stack traces in errors. */
  production: boolean;
  /** Who may call mutations (from the configuration: writePolicy). */
  writes: WritePolicy;
  /** Where the one start-up warning about open or refused writes, and a line per request, go. */
  logger: Logger;
  /** How long a client may take (default TIMEOUTS; tests shorten them). */
  timeouts?: Timeouts;
  /** Browser origins allowed to call (CORS_ORIGINS). */
  corsOrigins: Config['corsOrigins'];
  /** GET /metrics: on or off, open or token-protected. */
  metrics: Config['metrics'];
  /** A question's time budget (REQUEST_TIME_BUDGET_MS; default 2 s). */
  timeBudgetMs?: number;
  /** The rate an upload must keep (UPLOAD_MIN_BYTES_PER_SECOND); default DEFAULT_UPLOAD_SETTINGS. */
  uploads?: Config['uploads'];
  /** Bytes of thumbnails kept (THUMBNAIL_CACHE_MB); default DEFAULT_THUMBNAIL_CACHE_BYTES. */
  thumbnailCacheBytes?: number;
}

export async function startHttpServer(services: Services, options: HttpOptions): Promise<RunningServer> {
  const { port, host, production, writes } = options;
  const expressApp = express();
  expressApp.disable('x-powered-by');
  // Answers are POST results or immutable images: an ETag would hash every body for nothing.
  expressApp.set('etag', false);
  const timeouts = options.timeouts ?? TIMEOUTS;
  const httpServer = http.createServer(serverTimeouts(timeouts), expressApp);
  const gate = uploadGate(services.images, options.logger, options.uploads ?? DEFAULT_UPLOAD_SETTINGS, services.metrics);
  answerExpectContinue(httpServer, gate.uploads, options.logger);
  const protection = queryProtection();
  const writeWarning = writePolicyWarning(writes);
  if (writeWarning) options.logger.warn(writeWarning);
  const apollo = new ApolloServer<GraphQLContext>({
    schema: buildSchema(),
    introspection: !production,
    includeStacktraceInErrorResponses: !production,
    csrfPrevention: true,
    // The process's own signal handlers stop the server and close the store;
    // Apollo's would race them and leave the process hanging on SIGINT.
    stopOnTerminationSignals: false,
    formatError: (formatted, error) => clientFacing(formatError(formatted, error), error),
    // Sized by what they hold (query text included): Apollo's default grows without bound under distinct padded queries.
    documentStore: documentCache(),
    persistedQueries: { cache: persistedQueryCache() },
    validationRules: protection.validationRules,
    parseOptions: protection.parseOptions,
    plugins: [
      // Requests in flight get this long to finish on a stop; the rest of the stop fits in a supervisor's 10 s.
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: STOP_GRACE_MS }),
      // No field sets cache hints; the default plugin would wrap every resolver call.
      ApolloServerPluginCacheControlDisabled(),
      responseExtensionsPlugin<GraphQLContext>(),
      graphqlErrorLog(options.logger),
      writeProtectionPlugin<GraphQLContext>(writes),
      // Before the operation record: it notes the TIMEOUT this one answers with.
      requestBudgetPlugin<GraphQLContext>(),
      operationRecordPlugin<GraphQLContext>(),
      ...protection.plugins,
    ],
  });
  await apollo.start();

  // The request line first, so that every answer below, refusals too, is logged and measured.
  expressApp.use(requestLog(options.logger, services.metrics));
  const cors = corsHandler(options.corsOrigins);
  if (cors) expressApp.use(cors);
  expressApp.use(bodyDeadlines(options.logger, timeouts), gate.middleware);
  expressApp.use(metricsRouter(services.metrics, options.metrics));
  expressApp.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  expressApp.get('/readyz', async (_req, res) => {
    const readiness = await services.health.readiness();
    res.status(readiness.ready ? 200 : 503).json(readiness);
  });
  expressApp.use(
    '/graphql',
    ...graphqlBodyGuards(options.logger),
    requestBudget(options.timeBudgetMs ?? DEFAULT_TIME_BUDGET_MS, (reason) => services.metrics.countStopped(reason)),
    expressMiddleware(apollo, { context: async ({ res }) => createContext(services, operationRecordOf(res)) }),
  );

  const thumbnails = new ThumbnailCache(options.thumbnailCacheBytes ?? DEFAULT_THUMBNAIL_CACHE_BYTES);
  expressApp.use(imageRouter(services.photos, thumbnails, options.logger));

  // The web page for people, at GET / (it uses only /graphql and /images).
  expressApp.use(webPageRouter());
  expressApp.use(notFoundAsJson(options.logger), jsonErrors(options.logger, MAX_BODY_BYTES));

  await new Promise<void>((resolve, reject) => {
    // A port in use or a host this machine does not have: a message naming the setting, not a stack.
    httpServer.once('error', (err) => reject(new Error(`cannot listen on ${host}:${port} (HOST, PORT): ${err.message}`)));
    httpServer.listen(port, host, resolve);
  });
  const address = httpServer.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    close: () => apollo.stop(),
  };
}
