// The model layer's one way in. Bytes and vectors in, vectors out: nothing
// here reads a database or knows about GraphQL. The layers above own the I/O
// around these: services read the current image projection and turn the typed
// errors below into client errors; word vectors are looked up by the services
// for similarWords, and by the SQL itself for imagesForText (textSearchStatement.ts).
//   embedText(tokens, vectors)          tokens → GloVe space (mean of the known words' vectors)
//   embedder.embedImage(bytes)          image → 768-d MobileNet features (embedImages: a batch)
//   applyImageProjection(fit, features) features → the stored, searched vector
//   embedder.projectToWords(features)   features → 100-d GloVe word space (the trained word model)
//   perceptualHashes(bytes)             image → dHash, plain and mirrored (duplicates)
// TensorFlow.js and sharp are imported where a model runs or an image is
// decoded, on first use: importing this module loads neither, so a restart
// serves its first questions without them.
import type { EmbeddedImage, ImageModel } from './imageModelSpec.js';
import { initTfBackend } from './tfBackend.js';
import type { TrainWordModelInput } from './wordModelSpec.js';
import { createWordModelHandle } from './wordModelHandle.js';
import { ImageEmbeddingPool } from './workerPool.js';

export { categoryWords, captionWordCounts, contentWords } from './captions.js';
export {
  captionWordList,
  EVIDENCE_NEIGHBOURS,
  heaviestVoters,
  modelWordScore,
  neighbourWeights,
  OWN_CAPTIONS,
  scoreTags,
  TEXT_VOTE_SHIFT,
  textVoteKeys,
  textVoters,
  TRANSFER,
  transferredVector,
  transferredWordVotes,
  transferVersion,
  voteKey,
  type CaptionedNeighbour,
  type TransferParameters,
  type VotedWord,
} from './transfer.js';
export { readGloveSize, readGloveVocabulary, readGloveWords, type GloveWord } from './glove.js';
export { WordTable, type WordDistance } from './wordTable.js';
export {
  embeddingVersion,
  MOBILENET_FEATURE_LAYER,
  MOBILENET_INPUT_SIZE,
  MOBILENET_LOGITS_LAYER,
  mobilenetDir,
  TOP_IMAGENET_CLASSES,
  type EmbeddedImage,
  type ImageNetClass,
} from './imageModelSpec.js';
export {
  applyImageProjection,
  fitImageProjection,
  PROJECTION_WEIGHT,
  projectionVersion,
  type ImageProjection,
} from './imageProjection.js';
export { fitLda, project } from './linearDiscriminant.js';
/** MobileNet's loader and batch prediction (the evaluation's own model runs), with TensorFlow.js. */
export const loadMobilenetCode = () => import('./mobilenet.js');
export { decodeRgb, ImageDecodeError, toModelInput, type ImageFit, type ImageInfo } from './preprocess.js';
export {
  wordModelExists,
  readWordModelMetadata,
  TUTORIAL_OPTIONS,
  type EpochReport,
  type WordModelSettings,
} from './wordModelSpec.js';

/** Trains the image → word model (wordModel.ts, with TensorFlow.js). */
export async function fitWordModel(input: TrainWordModelInput) {
  return (await import('./wordModel.js')).fitWordModel(input);
}

/** Saves a trained image → word model in its folder. */
export async function saveWordModel(...args: Parameters<(typeof import('./wordModel.js'))['saveWordModel']>) {
  return (await import('./wordModel.js')).saveWordModel(...args);
}
export {
  copyHashDistance,
  differenceHash,
  DUPLICATES,
  hashDistance,
  isDuplicatePair,
  perceptualHashes,
  type PerceptualHashes,
} from './perceptualHash.js';
export { STOP_WORDS } from './stopWords.js';
export {
  DEFAULT_TAG_VOCABULARY_RULE,
  distinctLemmas,
  isDepictable,
  isTagWord,
  lemmaKey,
  selectTagWords,
  TAG_VOCABULARY_RULES,
  type Lexicon,
  type TagVocabularyRule,
} from './tagVocabulary.js';
export {
  candidatesFor,
  foldTags,
  foldTagVocabulary,
  NEAR_DUPLICATE_COSINE,
  SYNONYM_MIN_COSINE,
  TAG_FOLDING_VERSION,
  type FoldedTag,
  type TagCandidate,
  type TagSource,
  type TagVoter,
} from './tagFolding.js';
export { applyLinearMap, fitRidge, ridgeStatistics, solveRidge, type LinearMap, type RidgeStatistics } from './ridgeRegression.js';
export { dropStopWords, embedText, MAX_TEXT_LENGTH, tokenize, type TextEmbedding } from './text.js';
export { initTfBackend } from './tfBackend.js';
export { captionIdf, targetDistribution, targetVector, type TargetKind } from './trainingTargets.js';
export { ModelNotTrainedError } from './wordModelHandle.js';
export { ImageQueueFullError } from './workerPool.js';

/** The models that run: MobileNet on image bytes, and the trained image → word model. */
export interface Embedder {
  /**
   * L2-normalised features and the image's format and size (one inspection);
   * throws ImageDecodeError for bytes that are not a complete JPEG/PNG/WebP,
   * ImageQueueFullError when too many images wait.
   */
  embedImage(bytes: Uint8Array): Promise<EmbeddedImage>;
  embedImages(images: readonly Uint8Array[]): Promise<EmbeddedImage[]>;
  /**
   * Throws ImageQueueFullError when embedImage would refuse a new image now:
   * asked before a client's bytes are decoded, so a refusal costs little.
   */
  admitImage(): void;
  /** Loads the image model now rather than on first use; resolves once it is ready. */
  loadModels(): Promise<void>;
  /** Image features → L2-normalised word-space vector; throws ModelNotTrainedError before training. */
  projectToWords(features: Float32Array): Promise<Float32Array>;
  projectManyToWords(features: readonly Float32Array[]): Promise<Float32Array[]>;
  hasWordModel(): boolean;
  /** Reads the word model's folder again on next use (after `npm run train`). */
  reloadWordModel(): void;
  /** Image worker threads from now on (no effect when embedding on the calling thread). */
  setImageWorkers(count: number): void;
  /** Images waiting for a worker now (0 when embedding on the calling thread). */
  queuedImages(): number;
  /** Stops the image workers. */
  close(): Promise<void>;
}

export interface EmbedderOptions {
  /** Folder of the MobileNet TF.js model (see imageEmbedding.ts mobilenetDir). */
  imageModelDir: string;
  /** Folder of the trained image → word model (TF.js format). */
  wordModelDir: string;
  /** Worker threads for image embedding; 0 embeds on the calling thread (tools, evaluation). */
  embedWorkers?: number;
  log?: (message: string) => void;
}

/** Images waiting for a worker at most (about 2 s of work per worker on wasm). */
const MAX_QUEUED_IMAGES = 32;
const WORKER_BATCH = 8;

export function createEmbedder(options: EmbedderOptions): Embedder {
  let imageModel: Promise<ImageModel> | undefined;
  const image = () => {
    imageModel ??= import('./imageEmbedding.js').then((code) => code.loadImageModel(options.imageModelDir, undefined, options.log));
    // A failed load (e.g. missing files) is retried on the next call.
    imageModel.catch(() => (imageModel = undefined));
    return imageModel;
  };
  const wordModel = createWordModelHandle(options.wordModelDir);
  // Off the event loop that answers queries: TF.js runs for 60+ ms per image.
  const pool = options.embedWorkers
    ? new ImageEmbeddingPool({
        size: options.embedWorkers,
        modelDir: options.imageModelDir,
        maxQueue: MAX_QUEUED_IMAGES,
        maxBatch: WORKER_BATCH,
      })
    : undefined;
  return {
    async projectToWords(features) {
      return (await wordModel.project([features]))[0]!;
    },
    projectManyToWords: (features) => wordModel.project(features),
    hasWordModel: () => wordModel.exists(),
    queuedImages: () => pool?.queued ?? 0,
    reloadWordModel: () => wordModel.reload(),
    async embedImage(bytes) {
      return pool ? pool.embed(bytes) : (await image()).embedImage(bytes);
    },
    admitImage() {
      pool?.admit();
    },
    async embedImages(images) {
      return pool ? pool.embedMany(images) : (await image()).embedImages(images);
    },
    async loadModels() {
      // This thread needs a backend too, even when workers embed the images:
      // it trains and runs the word model.
      await initTfBackend(options.log);
      await (pool ? pool.start() : image());
    },
    setImageWorkers(count) {
      pool?.resize(count);
    },
    async close() {
      await pool?.close();
    },
  };
}
export { classNameVectors, conseVector, labelWords, readImageNetLabels, withConse } from './conse.js';
