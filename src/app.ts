// Composition root: builds the layers once, from one Config, and hands each
// its dependencies. Nothing below this file reads the environment.
import { ensureMobilenet } from './assets/ensure.js';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { createEmbedder, mobilenetDir, type Embedder } from './embedding/index.js';
import type { Logger } from './logger.js';
import { createRepositories, type Repositories } from './repositories/index.js';
import { applyMigrations, findVectorTypeOids } from './repositories/migrationRepository.js';
import { REQUIRED_PHASES, runSeeds, type SeedOptions } from '../seeds/run.js';
import { HealthService } from './services/healthService.js';
import { ImageProjectionCache } from './services/imageProjectionCache.js';
import { ImageService } from './services/imageService.js';
import { ImageTextService } from './services/imageTextService.js';
import type { Services } from './services/index.js';
import { WordService } from './services/wordService.js';

export interface App {
  config: Config;
  logger: Logger;
  db: Database;
  repositories: Repositories;
  embedder: Embedder;
  services: Services;
  /** Seeds whatever is missing; a re-run skips finished work. */
  seed(options?: SeedOptions): Promise<void>;
  close(): Promise<void>;
}

/** Opens the store `config` names, its schema brought up to date. */
export function openStore(config: Config, logger: Logger): Promise<Database> {
  return openDatabase(config, logger, {
    migrate: (pool) => applyMigrations(pool, logger),
    vectorTypeOids: findVectorTypeOids,
  });
}

export async function createApp(config: Config, logger: Logger): Promise<App> {
  const db = await openStore(config, logger);
  const repositories = createRepositories(db);
  const embedder = createEmbedder({
    imageModelDir: mobilenetDir(config.assets.dir),
    projectorDir: config.wordSpace.projectorDir,
    embedWorkers: config.embedWorkers,
    log: (message) => logger.info(message),
  });
  const { words, images, imageText, projections, seedState } = repositories;
  const services: Services = {
    words: new WordService(words, config.words.efSearch),
    images: new ImageService(images, embedder, new ImageProjectionCache(projections), config.images.efSearch),
    imageText: new ImageTextService(imageText, images, words, embedder, {
      wordEfSearch: config.words.efSearch,
      imageEfSearch: config.images.efSearch,
    }),
    health: new HealthService(seedState, REQUIRED_PHASES),
  };
  // Loaded in the background: the server answers /healthz meanwhile and
  // /readyz reports the models as loading until this resolves.
  const log = (message: string) => logger.info(message);
  const modelsLoaded = ensureMobilenet(config.assets, log)
    .then(() => embedder.loadModels())
    .then(() => services.health.markModelsLoaded());
  modelsLoaded.catch((err: Error) => logger.error(`image model failed to load: ${err.message}`));

  return {
    config,
    logger,
    db,
    repositories,
    embedder,
    services,
    async seed(options = {}) {
      await modelsLoaded;
      await runSeeds({ config, logger, storeKind: db.kind, repositories, embedder }, options);
    },
    async close() {
      await embedder.close();
      await db.close();
    },
  };
}
