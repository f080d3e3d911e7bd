// Seed phase `image_projection`: fits the image projection on the training
// split (the same split as the word model) and re-projects every stored image
// whose vector another fit made. Re-runnable: an unchanged fit (same recipe,
// same training images) is kept, and only stale rows are rewritten, in
// batches, so a killed run resumes.
import {
  applyImageProjection,
  embeddingVersion,
  fitImageProjection,
  type ImageProjection,
  projectionVersion,
} from '../src/embedding/index.js';
import { HELD_OUT_PER_CATEGORY, splitItems } from '../src/dataset/split.js';
import type { Logger } from '../src/logger.js';
import { SEED_PHASES } from '../src/services/seedPhases.js';
import type { ImageProjectionRepository } from '../src/repositories/imageProjectionRepository.js';
import type { SeedStateRepository } from '../src/repositories/seedStateRepository.js';
import type { WordSpaceRepository } from '../src/repositories/wordSpaceRepository.js';
import { createProgress } from '../src/lib/progress.js';

export const PROJECTION_PHASE = SEED_PHASES.projection.record;
/**
 * Rows a statement rewrites: each goes into every index of the photos table
 * (about 8 ms a row on the embedded store), and questions wait for the
 * statement; 500 held the store 4.2 s and questions asked meanwhile were
 * answered TIMEOUT during the first start.
 */
const BATCH_SIZE = 32;

export interface ImageProjectionDeps {
  projections: ImageProjectionRepository;
  wordSpace: WordSpaceRepository;
  seedState: SeedStateRepository;
}

export interface SeedImageProjectionResult {
  version: string | null;
  fitted: boolean;
  reprojected: number;
}

/** Finished before, on the same images, and every image projected: a restart reads no features. */
async function upToDate(deps: ImageProjectionDeps): Promise<string | null | undefined> {
  const previous = (await deps.seedState.completed()).get(PROJECTION_PHASE);
  if (!previous) return undefined;
  const version = await deps.projections.currentVersion();
  if ((previous.version ?? null) !== version || (await deps.projections.countStale(version)) > 0) return undefined;
  return version;
}

export async function seedImageProjection(
  deps: ImageProjectionDeps,
  logger: Logger,
  heldOutPerCategory = HELD_OUT_PER_CATEGORY,
  /** The images phase stored nothing new this run (else the fit's training images may have changed). */
  imagesUnchanged = false,
): Promise<SeedImageProjectionResult> {
  if (imagesUnchanged) {
    const version = await upToDate(deps);
    if (version !== undefined) return { version, fitted: false, reprojected: 0 };
  }
  const rows = await deps.wordSpace.trainingImages();
  const { train } = splitItems(
    rows.map((row) => ({ ...row, name: row.id })),
    heldOutPerCategory,
  );
  const recipe = embeddingVersion();
  const wantedVersion = projectionVersion(recipe, train.map((row) => row.id));
  let projection = await deps.projections.current();
  const fitted = projection?.version !== wantedVersion;
  if (fitted) {
    const started = Date.now();
    projection = fitImageProjection(train, recipe);
    await deps.projections.save(projection);
    logger.info(
      projection
        ? `image projection fitted on ${train.length} training images (${projection.lda.outDims} discriminant directions) in ${((Date.now() - started) / 1000).toFixed(1)} s`
        : 'image projection: fewer than two categories to learn from; images are searched by their features',
    );
  }
  const version = projection?.version ?? null;
  const reprojected = await reprojectStale(deps.projections, version, projection, logger);
  await deps.seedState.markDone(PROJECTION_PHASE, { version, trainImages: train.length, reprojected });
  return { version, fitted, reprojected };
}

async function reprojectStale(
  projections: ImageProjectionRepository,
  version: string | null,
  projection: ImageProjection | null,
  logger: Logger,
): Promise<number> {
  const total = await projections.countStale(version);
  if (total === 0) return 0;
  logger.info(`projecting ${total} images with image projection ${version ?? '(none)'}`);
  const progress = createProgress('image projection', total, 'images');
  let after = '';
  for (;;) {
    const batch = await projections.stale(version, after, BATCH_SIZE);
    if (batch.length === 0) break;
    await projections.setEmbeddings(
      version,
      batch.map((row) => ({ id: row.id, embedding: applyImageProjection(projection, row.features) })),
    );
    progress.tick(batch.length);
    after = batch.at(-1)!.id;
  }
  progress.finish();
  return total;
}
