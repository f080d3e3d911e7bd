// What the image model is and what it gives, without loading it: the model's
// folder and layers, the embedding recipe and its version, the shapes of its
// answers. TensorFlow.js is imported only where the model runs
// (imageEmbedding.ts), so a restart that needs no model starts without it.
import path from 'node:path';
import type { ImageFit, ImageInfo } from './preprocess.js';
import type { TfBackend } from './tfBackend.js';

export const MOBILENET_DIR_NAME = 'mobilenet_v1_0.75_224';
export const MOBILENET_INPUT_SIZE = 224;
/** 768 numbers per image: the pooled output of the last convolution block. */
export const MOBILENET_FEATURE_LAYER = 'global_average_pooling2d_1';
/** ImageNet logits: a 1×1 convolution (768 → 1000) over the pooled features. */
export const MOBILENET_LOGITS_LAYER = 'conv_preds';

export const IMAGE_DIMENSIONS = 768;

export interface ImageEmbeddingOptions {
  fit: ImageFit;
  /** Average the embeddings of the photo and its mirror image (left-right). */
  flipAverage: boolean;
  /**
   * Weight of the class-prototype direction added to the pooled features: the
   * ImageNet classifier's class vectors averaged by the predicted class
   * probabilities (0 = pooled features alone). Pulls photos of the same kind
   * of object together using only the pretrained model's own classifier.
   */
  classBlend: number;
}

/** The stored embedding's recipe (docs/models.md "Images": P@10 0.535 vs 0.457 for the tutorial's). */
export const IMAGE_EMBEDDING: ImageEmbeddingOptions = { fit: 'cover', flipAverage: false, classBlend: 0.5 };

/** Names the recipe; stored with the seed so a changed recipe re-embeds what is stored. */
export function embeddingVersion(options: ImageEmbeddingOptions = IMAGE_EMBEDDING): string {
  return `${MOBILENET_DIR_NAME}/${options.fit}${options.flipAverage ? '+mirror' : ''}/class-blend-${options.classBlend}`;
}

/** How many of MobileNet's ImageNet classes an embedding reports (the zero-shot ConSE signal reads them). */
export const TOP_IMAGENET_CLASSES = 10;

/** An ImageNet class (index into the model's metadata.json labels) and its predicted probability. */
export interface ImageNetClass {
  index: number;
  probability: number;
}

/** An image's features, and what its header said (format, displayed size): one inspection serves both. */
export interface EmbeddedImage {
  /** L2-normalised. */
  features: Float32Array;
  info: ImageInfo;
  /** The TOP_IMAGENET_CLASSES most probable ImageNet classes, most probable first (from the same model call). */
  classes: ImageNetClass[];
}

export interface ImageModel {
  backend: TfBackend;
  options: ImageEmbeddingOptions;
  version: string;
  embedImage(bytes: Uint8Array): Promise<EmbeddedImage>;
  /** Same order as the input; throws ImageDecodeError if any image is unreadable. */
  embedImages(images: readonly Uint8Array[]): Promise<EmbeddedImage[]>;
}

export function mobilenetDir(assetsDir: string): string {
  return path.join(assetsDir, 'models', MOBILENET_DIR_NAME);
}
