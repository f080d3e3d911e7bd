// Composition root: builds the layers once, from one Config, and hands each
// its dependencies. Nothing below this file reads the environment.
import { ensureMobilenet } from './assets/ensure.js';
import type { Config } from './config.js';
import { openDatabase, poolUse, type Database } from './db/database.js';
import type { PgliteWorkerStore } from './db/pgliteWorkerStore.js';
import { createEmbedder, mobilenetDir, type Embedder } from './embedding/index.js';
import type { Logger } from './logger.js';
import { createRepositories, type Repositories } from './repositories/index.js';
import { applyMigrations, findVectorTypeOids } from './repositories/migrationRepository.js';
import { runSeeds, type SeedOptions } from '../seeds/run.js';
import { HealthService } from './services/healthService.js';
import { DuplicateService } from './services/duplicateService.js';
import { TransferService } from './services/transferService.js';
import { ImageProjectionCache } from './services/imageProjectionCache.js';
import { ImageService } from './services/imageService.js';
import { ImageTextService } from './services/imageTextService.js';
import { Metrics } from './services/metrics.js';
import { PhotoFiles } from './services/photoFiles.js';
import { SteeredSimilarity } from './services/steeredSimilarity.js';
import type { Services } from './services/index.js';
import { Warmup } from './services/warmup.js';
import { WordService } from './services/wordService.js';

export interface App {
  config: Config;
  logger: Logger;
  db: Database;
  /** Seeds, tools and tests: the store as is. Services use their own, which refuse at once while the embedded store is busy. */
  repositories: Repositories;
  embedder: Embedder;
  services: Services;
  /** Seeds whatever is missing; a re-run skips finished work. */
  seed(options?: SeedOptions): Promise<void>;
  /** Starts loading the image model (once); resolves when it is ready. */
  loadModels(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the store `config` names, its schema brought up to date; `opening`: an embedded store already being opened. */
export function openStore(config: Config, logger: Logger, opening?: PgliteWorkerStore): Promise<Database> {
  return openDatabase(
    config,
    logger,
    { migrate: (pool) => applyMigrations(pool, logger), vectorTypeOids: findVectorTypeOids },
    opening,
  );
}

/** `opening`: an embedded store already being opened (`npm start` begins before loading the rest). */
export async function createApp(config: Config, logger: Logger, opening?: PgliteWorkerStore): Promise<App> {
  const db = await openStore(config, logger, opening);
  const repositories = createRepositories(db);
  const serving = createRepositories({ ...db.serving, kind: db.kind });
  const warmup = new Warmup();
  const embedder = createEmbedder({
    imageModelDir: mobilenetDir(config.assets.dir),
    wordModelDir: config.wordSpace.wordModelDir,
    embedWorkers: config.embedWorkers,
    log: (message) => logger.info(message),
  });
  const metrics = new Metrics({ queuedImages: () => embedder.queuedImages(), poolUse: () => poolUse(db), warmup });
  const { words, images, imageFiles, textSearch, tags, projections, seedState, transfers, duplicates } = serving;
  const projection = new ImageProjectionCache(projections);
  const transfer = new TransferService(transfers, config.images.efSearch);
  const imageService = new ImageService(images, embedder, projection, config.images.efSearch, warmup, transfer, metrics);
  const services: Services = {
    words: new WordService(words, config.words.efSearch, warmup),
    images: imageService,
    steered: new SteeredSimilarity(imageService, textSearch, words, config.images.efSearch),
    duplicates: new DuplicateService(duplicates, warmup),
    photos: new PhotoFiles(imageFiles),
    imageText: new ImageTextService(
      textSearch,
      tags,
      images,
      words,
      embedder,
      { wordEfSearch: config.words.efSearch, imageEfSearch: config.images.efSearch },
      warmup,
      projection,
      metrics,
    ),
    transfer,
    health: new HealthService(seedState, warmup, db.gate),
    warmup,
    metrics,
    searchesPerStatement: db.searchesPerStatement,
  };
  // Loaded in the background when first wanted: a restart is ready without
  // it (a question with new image bytes waits for it), a first start loads it
  // once the words are in.
  const log = (message: string) => logger.info(message);
  let modelsLoading: Promise<void> | undefined;
  const loadModels = () => {
    modelsLoading ??= ensureMobilenet(config.assets, log)
      .then(() => embedder.loadModels())
      .then(() => services.health.markModelsLoaded());
    modelsLoading.catch((err: Error) => {
      services.health.markModelsFailed();
      logger.error(`image model failed to load: ${err.message}`);
    });
    return modelsLoading;
  };

  return {
    config,
    logger,
    db,
    repositories,
    embedder,
    services,
    loadModels,
    async seed(options = {}) {
      warmup.begin();
      try {
        await runSeeds({ config, logger, db, repositories, embedder, warmup, metrics, loadModels }, options);
      } finally {
        warmup.end();
      }
    },
    async close() {
      try {
        await embedder.close();
      } finally {
        await db.close();
      }
    },
  };
}
