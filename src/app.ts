// Composition root: builds the layers once, from one Config, and hands each
// its dependencies. Nothing below this file reads the environment.
import { ensureMobilenet, ensurePascal } from './assets/ensure.js';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { mobilenetDir } from './embedding/image.js';
import { createEmbedder, type Embedder } from './embedding/index.js';
import type { Logger } from './logger.js';
import { ImageProjectionRepository } from './repositories/imageProjectionRepository.js';
import { ImageRepository } from './repositories/imageRepository.js';
import { TagRepository } from './repositories/tagRepository.js';
import { WordSpaceRepository } from './repositories/wordSpaceRepository.js';
import { SeedStateRepository } from './repositories/seedStateRepository.js';
import { WordRepository } from './repositories/wordRepository.js';
import { PROJECTION_PHASE, seedImageProjection } from './seed/seedImageProjection.js';
import { IMAGES_PHASE, seedImages } from './seed/seedImages.js';
import { seedWords, WORDS_PHASE } from './seed/seedWords.js';
import { MODEL_PHASE, seedWordModel, wordModelOptions } from './seed/trainModel.js';
import { HealthService } from './services/healthService.js';
import { ImageService } from './services/imageService.js';
import { TextImageService } from './services/textImageService.js';
import { WordService } from './services/wordService.js';

export interface Repositories {
  words: WordRepository;
  images: ImageRepository;
  tags: TagRepository;
  wordSpace: WordSpaceRepository;
  projections: ImageProjectionRepository;
  seedState: SeedStateRepository;
}

export interface Services {
  words: WordService;
  images: ImageService;
  textImage: TextImageService;
  health: HealthService;
}

export interface SeedOptions {
  /** Train the image → word model again even if a current one is saved (`npm run train`). */
  retrainWordModel?: boolean;
  /** A recipe of src/seed/wordModelRecipes.ts; default: the default model's. */
  wordModelRecipe?: string;
}

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

export const REQUIRED_PHASES = [WORDS_PHASE, IMAGES_PHASE, PROJECTION_PHASE, MODEL_PHASE] as const;

export async function createApp(config: Config, logger: Logger): Promise<App> {
  const db = await openDatabase(config, logger);
  const repositories: Repositories = {
    words: new WordRepository(db.primary, db.reader),
    images: new ImageRepository(db.primary, db.reader),
    tags: new TagRepository(db.primary, db.reader),
    wordSpace: new WordSpaceRepository(db.primary, db.reader),
    projections: new ImageProjectionRepository(db.primary),
    seedState: new SeedStateRepository(db.primary),
  };
  const embedder = createEmbedder({
    wordVectors: (words) => repositories.words.findVectors(words),
    imageProjection: () => repositories.projections.current(),
    imageProjectionVersion: () => repositories.projections.currentVersion(),
    imageModelDir: mobilenetDir(config.assets.dir),
    projectorDir: config.wordSpace.projectorDir,
    embedWorkers: config.embedWorkers,
    log: (message) => logger.info(message),
  });
  const textImage = new TextImageService(repositories.tags, repositories.wordSpace, repositories.images, embedder, {
    wordEfSearch: config.words.efSearch,
    imageEfSearch: config.images.efSearch,
  });
  const services: Services = {
    words: new WordService(repositories.words, embedder, config.words.efSearch),
    images: new ImageService(repositories.images, embedder, config.images.efSearch),
    textImage,
    health: new HealthService(repositories.seedState, REQUIRED_PHASES),
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
      await seedWords(
        repositories.words,
        repositories.seedState,
        {
          limit: config.words.limit,
          indexMemory: db.kind === 'pglite' ? '256MB' : '1GB',
          gloveFile: config.words.gloveFile,
        },
        logger,
      );
      await ensurePascal(config.assets, log);
      await seedImages(
        repositories.images,
        repositories.seedState,
        embedder,
        { assetsDir: config.assets.dir, limit: config.images.limit },
        logger,
      );
      const projection = await seedImageProjection(repositories, logger);
      const model = await seedWordModel(
        { ...repositories, embedder },
        { ...wordModelOptions(config.wordSpace, options.wordModelRecipe), retrain: options.retrainWordModel },
        logger,
      );
      // Both phases rewrite image rows; searches scan them, so leave no dead copies behind.
      if (projection.reprojected + model.projected > 0) await repositories.images.compact();
    },
    async close() {
      await embedder.close();
      await db.close();
    },
  };
}
