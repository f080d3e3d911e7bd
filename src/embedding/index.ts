// The embedding module: the one narrow interface through which seeds,
// services and evaluation reach every model.
//   embedText(text)      text → GloVe space (mean of known word vectors)
//   embedImage(bytes)    image → 768-d MobileNet features (embedImages: a batch)
//   searchVector(features)  image features → the stored, searched vector (the learned projection)
//   projectToWords(vector)  image features → 100-d GloVe word space (the trained projector)
import { clientError } from '../errors.js';
import { ImageDecodeError, loadImageModel, type ImageModel } from './image.js';
import { initTfBackend } from './tfBackend.js';
import { ImageEmbeddingPool } from './workerPool.js';
import { applyImageProjection, type ImageProjection } from './imageProjection.js';
import { createWordProjection } from './wordProjection.js';
import { dropStopWords, embedTokens, tokenize, type TextEmbedding, type WordVectorLookup } from './text.js';

export type { TextEmbedding } from './text.js';

export interface EmbedTextOptions {
  /** Drop stop words first (text → image search); similarWords keeps them. */
  contentWordsOnly?: boolean;
}

export interface Embedder {
  embedText(text: string, options?: EmbedTextOptions): Promise<TextEmbedding>;
  /** L2-normalised; throws ImageDecodeError for bytes that are not a complete JPEG/PNG/WebP. */
  embedImage(bytes: Uint8Array): Promise<Float32Array>;
  embedImages(images: readonly Uint8Array[]): Promise<Float32Array[]>;
  /** Features → the vector images are stored and searched by, and the projection fit that made it. */
  searchVector(features: Float32Array): Promise<SearchVector>;
  /** Loads the image model now rather than on first use; resolves once it is ready. */
  loadModels(): Promise<void>;
  /** Image features → L2-normalised word-space vector; throws ModelNotTrainedError before training. */
  projectToWords(features: Float32Array): Promise<Float32Array>;
  projectManyToWords(features: readonly Float32Array[]): Promise<Float32Array[]>;
  hasWordModel(): boolean;
  /** Reads the projector's folder again on next use (after `npm run train`). */
  reloadWordModel(): void;
  /** Stops the image workers. */
  close(): Promise<void>;
}

export interface SearchVector {
  vector: Float32Array;
  /** Null: no projection is fitted and the vector is the features. */
  projectionVersion: string | null;
}

export interface EmbedderDeps {
  wordVectors: WordVectorLookup;
  /** The current image projection fit (stored with the images it made), and just its version. */
  imageProjection: () => Promise<ImageProjection | null>;
  imageProjectionVersion: () => Promise<string | null>;
  /** Folder of the MobileNet TF.js model (see image.ts mobilenetDir). */
  imageModelDir: string;
  /** Folder of the trained image → word-space projector (TF.js format). */
  projectorDir: string;
  /** Worker threads for image embedding; 0 embeds on the calling thread (tools, evaluation). */
  embedWorkers?: number;
  log?: (message: string) => void;
}

/** Images waiting for a worker at most (about 2 s of work per worker on wasm). */
const MAX_QUEUED_IMAGES = 32;
const WORKER_BATCH = 8;

function imageWorkerPool(deps: EmbedderDeps): ImageEmbeddingPool {
  return new ImageEmbeddingPool(
    { size: deps.embedWorkers!, modelDir: deps.imageModelDir, maxQueue: MAX_QUEUED_IMAGES, maxBatch: WORKER_BATCH },
    {
      overloaded: (queued) =>
        clientError('OVERLOADED', `The server is busy embedding ${queued} images; retry in a few seconds.`),
      decode: (message) => new ImageDecodeError(message),
    },
  );
}

export function createEmbedder(deps: EmbedderDeps): Embedder {
  let imageModel: Promise<ImageModel> | undefined;
  const image = () => {
    imageModel ??= loadImageModel(deps.imageModelDir, undefined, deps.log);
    // A failed load (e.g. missing files) is retried on the next call.
    imageModel.catch(() => (imageModel = undefined));
    return imageModel;
  };
  const wordProjection = createWordProjection(deps.projectorDir);
  // Another process (a seed, another server) may fit a new projection: each use
  // checks the stored version (one small query beside a 60 ms model run) and
  // reloads the fit only when it changed.
  let imageProjection: ImageProjection | null | undefined;
  const currentImageProjection = async () => {
    const version = await deps.imageProjectionVersion();
    if (imageProjection === undefined || (imageProjection?.version ?? null) !== version) {
      imageProjection = await deps.imageProjection();
    }
    return imageProjection;
  };
  // Off the event loop that answers queries: TF.js runs for 60+ ms per image.
  const pool = deps.embedWorkers ? imageWorkerPool(deps) : undefined;
  return {
    async projectToWords(features) {
      return (await wordProjection.project([features]))[0]!;
    },
    projectManyToWords: (features) => wordProjection.project(features),
    hasWordModel: () => wordProjection.exists(),
    reloadWordModel: () => wordProjection.reload(),
    async searchVector(features) {
      const projection = await currentImageProjection();
      return { vector: applyImageProjection(projection, features), projectionVersion: projection?.version ?? null };
    },
    async embedImage(bytes) {
      return pool ? pool.embed(bytes) : (await image()).embedImage(bytes);
    },
    async embedImages(images) {
      return pool ? pool.embedMany(images) : (await image()).embedImages(images);
    },
    async loadModels() {
      // This thread needs a backend too, even when workers embed the images:
      // it trains and runs the word projector.
      await initTfBackend(deps.log);
      await (pool ? pool.start() : image());
    },
    async close() {
      await pool?.close();
    },
    async embedText(text, options = {}) {
      const tokens = tokenize(text);
      return embedTokens(options.contentWordsOnly ? dropStopWords(tokens) : tokens, deps.wordVectors);
    },
  };
}
