// Builds the real app (real store, real repositories) for a test, and a real
// HTTP server when asked.
import { after, before } from 'node:test';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { startHttpServer, type RunningServer } from '../../src/http/server.js';
import { createLogger } from '../../src/logger.js';
import { buildTestGlove } from './glove.js';
import { createTestStore, type StoreKind, type TestStore } from './stores.js';

export interface TestApp {
  app: App;
  store: TestStore;
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function createTestApp(kind: StoreKind, env: Record<string, string> = {}): Promise<TestApp> {
  const store = await createTestStore(kind);
  const fullEnv = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    GLOVE_FILE: await buildTestGlove(),
    WORDS_LIMIT: '0',
    // Tests that seed keep it small: a few dozen images, a short training run.
    IMAGES_LIMIT: '24',
    TRAIN_EPOCHS: '5',
    ...store.env,
    ...env,
  };
  const app = await createApp(loadConfig(fullEnv), createLogger('warn'));
  return {
    app,
    store,
    env: fullEnv,
    async close() {
      await app.close();
      await store.drop();
    },
  };
}

export async function startTestServer(app: App): Promise<RunningServer> {
  return startHttpServer(app.services, { port: 0, host: '127.0.0.1', production: app.config.env === 'production' });
}

/** A real app on `kind`, served over HTTP for the whole of the calling suite (before/after hooks). */
export function serveDuringSuite(
  kind: StoreKind,
  ready: (t: TestApp, server: RunningServer) => void,
  env: Record<string, string> = {},
): void {
  let t: TestApp | undefined;
  let server: RunningServer | undefined;
  before(async () => {
    t = await createTestApp(kind, env);
    server = await startTestServer(t.app);
    ready(t, server);
  });
  after(async () => {
    await server?.close();
    await t?.close();
  });
}

export interface GraphQLResponse<T = Record<string, unknown>> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; [key: string]: unknown } }[];
}

export async function gql<T = Record<string, any>>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphQLResponse<T>;
}
