// Seed phase `model`: the tag vocabulary, the image → word model
// (trained when none is saved) and every image's word-space vector.
// Resumable: a saved model is reused, and only images without a vector are
// projected, in batches, so a killed run continues where it stopped.
import {
  captionIdf,
  captionWordCounts,
  categoryWords,
  DEFAULT_TAG_VOCABULARY_RULE,
  type Embedder,
  embeddingVersion,
  type EpochReport,
  foldTagVocabulary,
  wordModelExists,
  readWordModelMetadata,
  saveWordModel,
  selectTagWords,
  TAG_FOLDING_VERSION,
  TAG_VOCABULARY_RULES,
  targetDistribution,
  targetVector,
  fitWordModel,
} from '../src/embedding/index.js';
import type { Config } from '../src/config.js';
import { l2Normalize } from '../src/lib/vectors.js';
import { HELD_OUT_PER_CATEGORY, splitItems } from '../src/dataset/split.js';
import type { Logger } from '../src/logger.js';
import { SEED_PHASES } from '../src/services/seedPhases.js';
import type { SeedStateRepository } from '../src/repositories/seedStateRepository.js';
import type { WordRepository } from '../src/repositories/wordRepository.js';
import type { TagVocabularyRepository } from '../src/repositories/tagVocabularyRepository.js';
import type { TrainingImageRow, WordSpaceRepository } from '../src/repositories/wordSpaceRepository.js';
import { createProgress } from '../src/lib/progress.js';
import { loadWordNet } from '../src/dataset/wordnet.js';
import { RECIPES, type TargetRecipe, type WordModelRecipe } from './wordModelRecipes.js';

export const MODEL_PHASE = SEED_PHASES.model.record;
/** Rows a statement rewrites, short for the questions waiting on the embedded store (see imageProjection.ts's BATCH_SIZE). */
const PROJECT_BATCH = 32;

/** The default model, chosen by cross-validation inside the training split (docs/models.md lists every recipe). */
export const DEFAULT_RECIPE_NAME = 'ridge-caption-03';

export function wordModelOptions(config: Config['wordSpace'], recipeName = DEFAULT_RECIPE_NAME): WordModelOptions {
  const recipe = RECIPES[recipeName];
  if (!recipe) throw new Error(`no recipe '${recipeName}': choose one of ${Object.keys(RECIPES).join(', ')}`);
  const settings = { ...recipe.settings, ...(config.epochs ? { epochs: config.epochs } : {}) };
  return {
    wordModelDir: config.wordModelDir,
    tagVocabularySize: config.tagVocabularySize,
    recipe: { ...recipe, settings },
  };
}

export interface WordModelDeps {
  words: WordRepository;
  wordSpace: WordSpaceRepository;
  tagVocabulary: TagVocabularyRepository;
  seedState: SeedStateRepository;
  embedder: Embedder;
  /**
   * Runs one long write: on the embedded store, with questions refused at once
   * (SERVICE_UNAVAILABLE, retry after the estimate) instead of waiting into a
   * TIMEOUT behind it. Absent: the write just runs.
   */
  whileStoreBusy?: <T>(what: string, estimateSeconds: number, write: () => Promise<T>) => Promise<T>;
}

/** Choosing and folding 10,000 words took 2.2 s, their one transaction (the HNSW index built again) 4.5 s, load 1.5. */
const VOCABULARY_BUILD_SECONDS = 7;

export interface WordModelOptions {
  wordModelDir: string;
  recipe: WordModelRecipe;
  tagVocabularySize: number;
  /** Train even if a current model is saved. */
  retrain?: boolean;
  /** Held-out images per category (10 of the 50 Pascal images of each). */
  heldOutPerCategory?: number;
}

export interface TrainingSummary {
  recipe: string;
  trainImages: number;
  heldOutImages: number;
  epochs: EpochReport[];
  seconds: number;
}

const ALL_CLASS_WORDS = (rows: readonly Pick<TrainingImageRow, 'category'>[]) => [
  ...new Set(rows.flatMap((row) => categoryWords(row.category))),
];

/** The stored vocabulary is of this size, chosen by this rule and folded by this rule. */
const vocabularyIsCurrent = (done: Record<string, unknown> | undefined, size: number) =>
  done?.tagVocabularySize === size &&
  done?.tagFolding === TAG_FOLDING_VERSION &&
  done?.tagVocabularyRule === DEFAULT_TAG_VOCABULARY_RULE;

/** Fills and folds the tag vocabulary when it is empty, of another size, or chosen or folded by another rule. */
export async function ensureTagVocabulary(
  deps: Pick<WordModelDeps, 'words' | 'wordSpace' | 'tagVocabulary' | 'seedState' | 'whileStoreBusy'>,
  size: number,
  logger: Logger,
): Promise<number> {
  const previous = (await deps.seedState.completed()).get(MODEL_PHASE);
  const count = await deps.tagVocabulary.countTagWords();
  if (count > 0 && vocabularyIsCurrent(previous, size)) return count;
  const build = () => buildTagVocabulary(deps, size, logger);
  return deps.whileStoreBusy?.('building the tag vocabulary', VOCABULARY_BUILD_SECONDS, build) ?? build();
}

/**
 * Chooses, folds and stores the vocabulary. Whole under whileStoreBusy: its
 * choice is 2 s of the main thread (questions already waiting on the store
 * were answered TIMEOUT behind it), then its one transaction 4.5 s.
 */
async function buildTagVocabulary(deps: Pick<WordModelDeps, 'words' | 'wordSpace' | 'tagVocabulary'>, size: number, logger: Logger): Promise<number> {
  const classWords = ALL_CLASS_WORDS(await deps.wordSpace.trainingImages());
  const wordnet = loadWordNet();
  const rule = TAG_VOCABULARY_RULES[DEFAULT_TAG_VOCABULARY_RULE]!;
  const chosen = selectTagWords(await deps.words.alphabeticWords(), wordnet, rule, size, classWords);
  // Folded before it is stored, so each row is written once with its tag.
  const tagOf = foldTagVocabulary(await deps.words.vectorsInRankOrder(chosen), classWords, (word) => wordnet.mainSense(word));
  const filled = await deps.tagVocabulary.replaceTagVocabulary(chosen, tagOf);
  const tags = new Set(tagOf.values()).size;
  logger.info(
    `tag vocabulary: ${filled} words (the ${size} most frequent words a photo can show, by the rule '${rule.name}', + class words), folded into ${tags} tags`,
  );
  return filled;
}

/** The class and caption words training reads vectors of. */
export function trainingWords(rows: readonly Pick<TrainingImageRow, 'category' | 'captions'>[]): Set<string> {
  const needed = new Set(ALL_CLASS_WORDS(rows));
  for (const row of rows) for (const word of captionWordCounts(row.captions).keys()) needed.add(word);
  return needed;
}

async function wordVectorsFor(rows: readonly TrainingImageRow[], words: WordRepository) {
  return words.findVectors([...trainingWords(rows)]);
}

/** What a model trains on: Pascal's photos (split into training and held out) and every other captioned photo (category ''). */
export interface TrainingRows {
  pascal: TrainingImageRow[];
  others: TrainingImageRow[];
}

async function readTrainingRows(deps: WordModelDeps): Promise<TrainingRows> {
  const others = (await deps.wordSpace.otherCaptionedImages()).map((row) => ({ ...row, category: '' }));
  return { pascal: await deps.wordSpace.trainingImages(), others };
}

/** The same rows, `pageSize` a statement (a serving process's store answers questions in between). */
export async function readTrainingRowsInPages(deps: Pick<WordModelDeps, 'wordSpace'>, pageSize: number): Promise<TrainingRows> {
  const rows: TrainingRows = { pascal: [], others: [] };
  for (let after = ''; ; ) {
    const page = await deps.wordSpace.trainingPage(after, pageSize);
    if (page.length === 0) return rows;
    for (const { pascal, ...row } of page) (pascal ? rows.pascal : rows.others).push(row);
    after = page.at(-1)!.id;
  }
}

/** Captioned photos other than Pascal's that a caption target can learn from: at least one caption word has a vector. */
async function learnable(others: TrainingImageRow[], deps: WordModelDeps): Promise<TrainingImageRow[]> {
  const vectors = await wordVectorsFor(others, deps.words);
  return others.filter((row) => [...captionWordCounts(row.captions).keys()].some((word) => vectors.has(word)));
}

/** `train`: the photos the map is fitted on (the IDF of caption words is theirs). */
async function targetsFor(recipe: TargetRecipe, rows: readonly TrainingImageRow[], train: readonly TrainingImageRow[], deps: WordModelDeps) {
  if (recipe.kind !== 'vocabulary') {
    const vectors = await wordVectorsFor(rows, deps.words);
    const idf = recipe.idf ? captionIdf(train) : undefined;
    return { targetOf: (row: TrainingImageRow) => targetVector(row, recipe.kind, vectors, recipe.classWeight, idf) };
  }
  const vocabulary = await deps.tagVocabulary.tagVocabulary();
  const index = new Map(vocabulary.map((word, i) => [word.text, i]));
  return {
    targetOf: (row: TrainingImageRow) => targetDistribution(row, index, recipe.classWeight),
    vocabulary: vocabulary.map((word) => l2Normalize(word.vector)),
  };
}

/**
 * Trains on the split's training images and, for a caption-target recipe, on
 * every other captioned photo (the reference set: issue 25); saves the model
 * and the split, and marks every vector stale.
 */
export async function trainWordModel(
  deps: WordModelDeps,
  options: WordModelOptions,
  logger: Logger,
): Promise<TrainingSummary> {
  const summary = await fitAndSaveWordModel(deps, options, logger, await readTrainingRows(deps));
  await deps.wordSpace.clearWordEmbeddings();
  await deps.seedState.clear(MODEL_PHASE);
  deps.embedder.reloadWordModel();
  logger.info(`model saved to ${options.wordModelDir} after ${summary.seconds.toFixed(1)} s`);
  return summary;
}

/** Fits the model on `read` (see trainWordModel) and saves it and the split; the served model and the stored vectors are left as they are. */
export async function fitAndSaveWordModel(
  deps: WordModelDeps,
  options: WordModelOptions,
  logger: Logger,
  read: TrainingRows,
): Promise<TrainingSummary> {
  const rows = read.pascal;
  const { train: pascalTrain, heldOut } = splitItems(
    rows.map((row) => ({ ...row, name: row.id })),
    options.heldOutPerCategory ?? HELD_OUT_PER_CATEGORY,
  );
  if (pascalTrain.length === 0) throw new Error('no training images: seed the images first (`npm run seed`)');
  const { recipe } = options;
  const others = recipe.target.kind === 'caption' ? await learnable(read.others, deps) : [];
  const train = [...pascalTrain, ...others];
  const { targetOf, vocabulary } = await targetsFor(recipe.target, [...rows, ...others], train, deps);
  const toSet = (list: TrainingImageRow[]) => ({ features: list.map((r) => r.features), targets: list.map(targetOf) });
  logger.info(
    `training the image → word model '${recipe.name}' on ${train.length} images (${heldOut.length} held out), ` +
      `${recipe.settings.epochs} epochs`,
  );
  const started = Date.now();
  const epochs: EpochReport[] = [];
  const progress = createProgress('training', recipe.settings.epochs, 'epochs');
  const model = await fitWordModel({
    train: toSet(train),
    validation: heldOut.length > 0 ? toSet(heldOut) : undefined,
    options: recipe.settings,
    vocabulary,
    onEpoch: (report) => {
      epochs.push(report);
      const validation = report.validationLoss === undefined ? '' : ` validation loss ${report.validationLoss.toFixed(4)}`;
      logger.info(`epoch ${report.epoch}/${recipe.settings.epochs}: loss ${report.loss.toFixed(4)}${validation} (${report.seconds.toFixed(1)} s)`);
      progress.tick();
    },
  });
  progress.finish();
  const seconds = (Date.now() - started) / 1000;
  const summary: TrainingSummary = {
    recipe: recipe.name,
    trainImages: train.length,
    heldOutImages: heldOut.length,
    epochs,
    seconds,
  };
  await saveWordModel(model, options.wordModelDir, {
    ...summary,
    target: recipe.target,
    options: recipe.settings,
    imageEmbedding: embeddingVersion(),
  });
  model.dispose();
  await deps.wordSpace.saveSplit(
    pascalTrain.map((row) => row.id),
    heldOut.map((row) => row.id),
  );
  return summary;
}

/** Projects every image that has no word-space vector yet; returns how many. */
export async function projectImages(deps: WordModelDeps, logger: Logger): Promise<number> {
  const total = await deps.wordSpace.countUnprojected();
  if (total === 0) return 0;
  logger.info(`projecting ${total} images into word space`);
  const progress = createProgress('word space', total, 'images');
  let done = 0;
  for (;;) {
    const batch = await deps.wordSpace.unprojected(PROJECT_BATCH);
    if (batch.length === 0) break;
    const vectors = await deps.embedder.projectManyToWords(batch.map((row) => row.features));
    await deps.wordSpace.setWordEmbeddings(
      batch.map((row) => row.id),
      vectors,
    );
    done += batch.length;
    progress.tick(batch.length);
  }
  progress.finish();
  return done;
}

/** A saved model trained on the image embedding now stored (another recipe's features mean another input space). */
export function hasCurrentModel(wordModelDir: string): boolean {
  return wordModelExists(wordModelDir) && readWordModelMetadata(wordModelDir).imageEmbedding === embeddingVersion();
}

export interface SeedWordModelResult {
  skipped: boolean;
  trained?: TrainingSummary;
  projected: number;
}

export async function seedWordModel(
  deps: WordModelDeps,
  options: WordModelOptions,
  logger: Logger,
): Promise<SeedWordModelResult> {
  const previous = (await deps.seedState.completed()).get(MODEL_PHASE);
  const current = hasCurrentModel(options.wordModelDir);
  const upToDate =
    !options.retrain &&
    vocabularyIsCurrent(previous, options.tagVocabularySize) &&
    current &&
    (await deps.wordSpace.countUnprojected()) === 0;
  if (upToDate) return { skipped: true, projected: 0 };

  const tagWords = await ensureTagVocabulary(deps, options.tagVocabularySize, logger);
  if (!current && wordModelExists(options.wordModelDir)) {
    logger.info('the image embedding changed since the image → word model was trained: retraining');
  }
  const train = options.retrain || !current;
  const trained = train ? await trainWordModel(deps, options, logger) : undefined;
  const projected = await projectImages(deps, logger);
  await deps.seedState.markDone(MODEL_PHASE, {
    tagVocabularySize: options.tagVocabularySize,
    tagFolding: TAG_FOLDING_VERSION,
    tagVocabularyRule: DEFAULT_TAG_VOCABULARY_RULE,
    tagWords,
    projected,
    ...(trained ? { recipe: trained.recipe, trainSeconds: trained.seconds } : {}),
  });
  return { skipped: false, trained, projected };
}
