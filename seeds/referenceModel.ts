// After the reference set is stored (seeds/reference.ts): the image → word
// model trained again on every captioned photo (Pascal's training split, the
// reference set, photos imported with captions), as issue 25 asks; the model
// a first start trains before readiness knows Pascal's photos alone. It runs
// in a serving process, so every statement is short: the training photos are
// read a page at a time, the fit lets the event loop through, and every photo
// is projected again a page at a time over its old vector (never cleared: each
// photo keeps a vector throughout). Recorded done in its own seed state row;
// a stop before that row is written trains again on the next start.
// `npm run reference -- --remove` trains again without the reference photos.
import { TransferService } from '../src/services/transferService.js';
import { REFERENCE_PHASE, type ReferenceDeps } from './reference.js';
import { fitAndSaveWordModel, readTrainingRowsInPages, type TrainingSummary, type WordModelOptions } from './wordModel.js';

/** The seed state row: the served model was trained with the reference set. */
export const REFERENCE_MODEL_RECORD = 'reference_word_model';
/** Training photos read a statement (768 features each). */
const READ_PAGE = 64;
/** Photos projected again a statement. */
const PROJECT_PAGE = 8;

export interface RetrainResult {
  trained: TrainingSummary;
  projected: number;
  /** Reading, fitting and saving; then projecting every photo again. */
  trainSeconds: number;
  projectSeconds: number;
}

/** Trains on every captioned photo stored now, serves the new model and projects every photo again with it. */
export async function retrainOnCaptioned(deps: ReferenceDeps, options: WordModelOptions, onProjected?: (done: number) => void): Promise<RetrainResult> {
  const { repositories, embedder, logger, config } = deps;
  const started = Date.now();
  const rows = await readTrainingRowsInPages(repositories, READ_PAGE);
  const trained = await fitAndSaveWordModel({ ...repositories, embedder }, options, logger, rows);
  embedder.reloadWordModel();
  const trainSeconds = (Date.now() - started) / 1000;
  let projected = 0;
  for (let after = ''; ; ) {
    const page = await repositories.wordSpace.featuresAfter(after, PROJECT_PAGE);
    if (page.length === 0) break;
    const vectors = await embedder.projectManyToWords(page.map((row) => row.features));
    await repositories.wordSpace.setWordEmbeddings(page.map((row) => row.id), vectors);
    projected += page.length;
    onProjected?.(projected);
    after = page.at(-1)!.id;
  }
  // A transfer reads the neighbours' captions, not the word vectors: normally none is stale; any that is, is refreshed.
  await new TransferService(repositories.transfers, config.images.efSearch).refresh();
  const projectSeconds = (Date.now() - started) / 1000 - trainSeconds;
  logger.info(
    `image → word model trained again on ${trained.trainImages} captioned photos in ${trainSeconds.toFixed(1)} s; ` +
      `${projected} photos projected again in ${projectSeconds.toFixed(1)} s`,
  );
  return { trained, projected, trainSeconds, projectSeconds };
}

/** Once the reference set is stored (and not removed): the model trained again with it, once. */
export async function seedReferenceModel(deps: ReferenceDeps, options: WordModelOptions): Promise<RetrainResult | undefined> {
  const done = await deps.repositories.seedState.completed();
  const reference = done.get(REFERENCE_PHASE);
  if (!reference || reference.removed || done.has(REFERENCE_MODEL_RECORD)) return undefined;
  // Only a caption-target model learns from photos without a category.
  if (options.recipe.target.kind !== 'caption') return undefined;
  const result = await retrainOnCaptioned(deps, options);
  await deps.repositories.seedState.markDone(REFERENCE_MODEL_RECORD, {
    recipe: result.trained.recipe,
    trainImages: result.trained.trainImages,
    projected: result.projected,
    trainSeconds: result.trainSeconds,
    projectSeconds: result.projectSeconds,
  });
  return result;
}
