// The seed runner: every phase in order, each skipping or resuming finished
// work, so `npm run seed` and every start can run it again safely.
import type { Config } from '../src/config.js';
import { type Embedder } from '../src/embedding/index.js';
import type { Logger } from '../src/logger.js';
import type { Repositories } from '../src/repositories/index.js';
import { ensurePascal } from '../src/assets/ensure.js';
import { PROJECTION_PHASE, seedImageProjection } from './imageProjection.js';
import { IMAGES_PHASE, seedImages } from './images.js';
import { MODEL_PHASE, seedWordModel, wordModelOptions } from './wordModel.js';
import { seedWords, WORDS_PHASE } from './words.js';

/** Every phase a ready store has completed. */
export const REQUIRED_PHASES = [WORDS_PHASE, IMAGES_PHASE, PROJECTION_PHASE, MODEL_PHASE] as const;

export interface SeedOptions {
  /** Train the image → word model again even if a current one is saved (`npm run train`). */
  retrainWordModel?: boolean;
  /** A recipe of seeds/wordModelRecipes.ts; default: the default model's. */
  wordModelRecipe?: string;
}

export interface SeedDeps {
  config: Config;
  logger: Logger;
  storeKind: Config['database']['kind'];
  repositories: Repositories;
  embedder: Embedder;
}

export async function runSeeds(deps: SeedDeps, options: SeedOptions = {}): Promise<void> {
  const { config, logger, repositories, embedder } = deps;
  await seedWords(
    repositories.words,
    repositories.seedState,
    {
      limit: config.words.limit,
      indexMemory: deps.storeKind === 'pglite' ? '256MB' : '1GB',
      gloveFile: config.words.gloveFile,
    },
    logger,
  );
  await ensurePascal(config.assets, (message) => logger.info(message));
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
}
