// HTTP: GraphQL at /graphql, health probes, images and the web page.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { createContext, type GraphQLContext } from '../graphql/context.js';
import { buildSchema } from '../graphql/schema.js';
import { responseExtensionsPlugin } from '../graphql/responseExtensions.js';
import { writePolicyWarning, writeProtectionPlugin, type WritePolicy } from '../graphql/writeProtection.js';
import type { Logger } from '../logger.js';
import { formatError } from './faults.js';
import { graphqlBodyGuards, queryProtection } from './limits.js';
import { imageRouter } from './imageRoutes.js';
import type { Services } from '../services/index.js';
import { webPageRouter } from '../web/webPage.js';

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
  /** Where the one start-up warning about open or refused writes goes. */
  logger: Logger;
}

export async function startHttpServer(services: Services, options: HttpOptions): Promise<RunningServer> {
  const { port, host, production, writes } = options;
  const expressApp = express();
  expressApp.disable('x-powered-by');
  // Answers are POST results or immutable images: an ETag would hash every body for nothing.
  expressApp.set('etag', false);
  const httpServer = http.createServer(expressApp);
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
    formatError,
    validationRules: protection.validationRules,
    parseOptions: protection.parseOptions,
    plugins: [
      // Requests in flight get this long to finish on a stop; the rest of the stop fits in a supervisor's 10 s.
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: STOP_GRACE_MS }),
      // No field sets cache hints; the default plugin would wrap every resolver call.
      ApolloServerPluginCacheControlDisabled(),
      responseExtensionsPlugin<GraphQLContext>(),
      writeProtectionPlugin<GraphQLContext>(writes),
      ...protection.plugins,
    ],
  });
  await apollo.start();

  expressApp.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  expressApp.get('/readyz', async (_req, res) => {
    const readiness = await services.health.readiness();
    res.status(readiness.ready ? 200 : 503).json(readiness);
  });
  expressApp.use(
    '/graphql',
    ...graphqlBodyGuards(),
    expressMiddleware(apollo, { context: async () => createContext(services) }),
  );

  expressApp.use(imageRouter(services.images));

  // The web page for people, at GET / (it uses only /graphql and /images).
  expressApp.use(await webPageRouter());

  await new Promise<void>((resolve) => httpServer.listen(port, host, resolve));
  const address = httpServer.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    close: () => apollo.stop(),
  };
}
