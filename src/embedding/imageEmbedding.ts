// Image bytes → 768-d L2-normalised MobileNet embeddings. Free of app and
// database dependencies so the same code runs in worker threads.
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  classifierKernel,
  loadFeatureModel,
  MOBILENET_DIR_NAME,
  MOBILENET_FEATURE_LAYER,
  MOBILENET_INPUT_SIZE,
  MOBILENET_LOGITS_LAYER,
  predictRows,
} from './mobilenet.js';
import { decodeRgb, toModelInput, type ImageFit, type ImageInfo } from './preprocess.js';
import { l2Normalize } from '../lib/vectors.js';
import { assertFastBackend, initTfBackend, type TfBackend } from './tfBackend.js';

export { ImageDecodeError } from './preprocess.js';

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

const unit = (x: tf.Tensor2D) => tf.div(x, tf.maximum(tf.norm(x, 'euclidean', 1, true), 1e-12)) as tf.Tensor2D;

/** The `count` largest probabilities of a row, largest first (ties by index). */
function topClasses(probabilities: Float32Array, count = TOP_IMAGENET_CLASSES): ImageNetClass[] {
  const top: ImageNetClass[] = [];
  probabilities.forEach((probability, index) => {
    if (top.length === count && probability <= top[count - 1]!.probability) return;
    top.push({ index, probability });
    top.sort((a, b) => b.probability - a.probability || a.index - b.index);
    if (top.length > count) top.pop();
  });
  return top;
}

/** One (not yet normalised) embedding row per preprocessed input, and its most probable ImageNet classes. */
function predictEmbeddings(
  model: tfl.LayersModel,
  kernel: tf.Tensor2D,
  classBlend: number,
  inputs: readonly Float32Array[],
): { embedding: Float32Array; classes: ImageNetClass[] }[] {
  assertFastBackend();
  const width = kernel.shape[0];
  const rows = predictRows(model, inputs, (pooled, logits) => {
    const features = unit(pooled);
    const probabilities = tf.softmax(logits);
    if (classBlend === 0) return tf.concat([features, probabilities], 1);
    const prototype = tf.matMul(probabilities, kernel, false, true) as tf.Tensor2D;
    return tf.concat([tf.add(features, tf.mul(unit(prototype), classBlend)) as tf.Tensor2D, probabilities], 1);
  });
  return rows.map((row) => ({ embedding: row.subarray(0, width), classes: topClasses(row.subarray(width)) }));
}

const add = (a: Float32Array, b: Float32Array) => a.map((x, i) => x + b[i]!);

export async function loadImageModel(
  modelDir: string,
  options: ImageEmbeddingOptions = IMAGE_EMBEDDING,
  log?: (message: string) => void,
): Promise<ImageModel> {
  const backend = await initTfBackend(log);
  const model = await loadFeatureModel(modelDir, [MOBILENET_FEATURE_LAYER, MOBILENET_LOGITS_LAYER]);
  const kernel = classifierKernel(model);
  const size = MOBILENET_INPUT_SIZE;
  const predict = (inputs: Float32Array[]) => predictEmbeddings(model, kernel, options.classBlend, inputs);

  function features(decoded: readonly { rgb: Uint8Array }[]): { features: Float32Array; classes: ImageNetClass[] }[] {
    const inputs = decoded.map(({ rgb }) => toModelInput(rgb, size));
    if (!options.flipAverage) return predict(inputs).map((row) => ({ features: l2Normalize(row.embedding), classes: row.classes }));
    const both = predict([...inputs, ...decoded.map(({ rgb }) => toModelInput(rgb, size, true))]);
    return inputs.map((_, i) => ({
      features: l2Normalize(add(both[i]!.embedding, both[i + inputs.length]!.embedding)),
      classes: both[i]!.classes,
    }));
  }

  async function embedImages(images: readonly Uint8Array[]): Promise<EmbeddedImage[]> {
    const decoded = await Promise.all(images.map((bytes) => decodeRgb(bytes, size, options.fit)));
    return features(decoded).map((row, i) => ({ ...row, info: decoded[i]!.info }));
  }

  return {
    backend,
    options,
    version: embeddingVersion(options),
    embedImages,
    async embedImage(bytes) {
      return (await embedImages([bytes]))[0]!;
    },
  };
}
