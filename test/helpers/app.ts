// Builds the real app (real store, real repositories) for a test, and a real
// HTTP server when asked.
import { rmSync } from 'node:fs';
import { after, before } from 'node:test';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { writePolicy, type WritePolicy } from '../../src/graphql/writeProtection.js';
import { startHttpServer, type HttpOptions, type RunningServer } from '../../src/http/server.js';
import { createLogger } from '../../src/logger.js';
import { buildTestGlove } from './glove.js';
import { buildTestAssets, type TestAssets } from './images.js';
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
    // Only the suites about the reference set load one.
    REFERENCE_SET: 'none',
    ...store.env,
    ...env,
  };
  const config = loadConfig(fullEnv);
  const app = await createApp(config, createLogger(config.logLevel, config.logFormat));
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

/** Served as `npm start` would serve it; `writes` overrides the configured write policy. */
/** Every change allowed, whatever the app's NODE_ENV: suites that test something else than the write policy. */
export const OPEN_WRITES: WritePolicy = { kind: 'open', reason: 'allowed' };

/** A server for `app` on a free port, as its config says, with `options` on top (a logger, timeouts, limits). */
export async function startTestServer(app: App, options: Partial<HttpOptions> = {}): Promise<RunningServer> {
  return startHttpServer(app.services, {
    port: 0,
    host: '127.0.0.1',
    production: app.config.env === 'production',
    writes: writePolicy(app.config),
    logger: app.logger,
    corsOrigins: app.config.corsOrigins,
    metrics: app.config.metrics,
    timeBudgetMs: app.config.requestTimeBudgetMs,
    ...options,
  });
}

export interface SuiteOptions {
  /** A small assets folder of real photos, `perCategory` of each category, that the app seeds from. */
  photos?: { categories: readonly string[]; perCategory: number };
  /** Seed the store (app.seed()) before the suite's tests. */
  seed?: boolean;
  env?: Record<string, string>;
}

/**
 * A real app on `kind`, served over HTTP for the whole of the calling suite:
 * built (with its photos, seeded when asked) in a before hook that runs ahead
 * of the suite's own, and removed with its store and photos afterwards.
 */
export function serveDuringSuite(
  kind: StoreKind,
  ready: (t: TestApp, server: RunningServer, assets: TestAssets) => void,
  options: SuiteOptions = {},
): void {
  let t: TestApp | undefined;
  let server: RunningServer | undefined;
  let assets: TestAssets | undefined;
  before(async () => {
    const { photos, env = {} } = options;
    assets = photos ? buildTestAssets(photos.categories, photos.perCategory) : undefined;
    const assetsEnv: Record<string, string> = assets ? { ASSETS_DIR: assets.dir, ASSETS_DOWNLOAD: 'false' } : {};
    t = await createTestApp(kind, { ...assetsEnv, ...env });
    if (options.seed) await t.app.seed();
    server = await startTestServer(t.app);
    ready(t, server, assets ?? { dir: '', images: [] });
  });
  after(async () => {
    await server?.close();
    await t?.close();
    if (assets) rmSync(assets.dir, { recursive: true, force: true });
  });
}
