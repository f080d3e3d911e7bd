// The embedding module: the one narrow interface through which seeds,
// services and evaluation reach every model.
//   embedText(text)      text → GloVe space (mean of known word vectors)
//   embedImage(bytes)    image → 768-d MobileNet features (embedImages: a batch)
// projectToWords(vector) joins here with the image ↔ text model.
import { loadImageModel, type ImageModel } from './image.js';
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
  /** Loads the image model now rather than on first use; resolves once it is ready. */
  loadModels(): Promise<void>;
}

export interface EmbedderDeps {
  wordVectors: WordVectorLookup;
  /** Folder of the MobileNet TF.js model (see image.ts mobilenetDir). */
  imageModelDir: string;
  log?: (message: string) => void;
}

export function createEmbedder(deps: EmbedderDeps): Embedder {
  let imageModel: Promise<ImageModel> | undefined;
  const image = () => {
    imageModel ??= loadImageModel(deps.imageModelDir, undefined, deps.log);
    // A failed load (e.g. missing files) is retried on the next call.
    imageModel.catch(() => (imageModel = undefined));
    return imageModel;
  };
  return {
    async embedImage(bytes) {
      return (await image()).embedImage(bytes);
    },
    async embedImages(images) {
      return (await image()).embedImages(images);
    },
    async loadModels() {
      await image();
    },
    async embedText(text, options = {}) {
      const tokens = tokenize(text);
      return embedTokens(options.contentWordsOnly ? dropStopWords(tokens) : tokens, deps.wordVectors);
    },
  };
}
