// Image bytes → 768-d L2-normalised MobileNet embeddings. Free of app and
// database dependencies so the same code runs in worker threads.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  embeddingVersion,
  IMAGE_EMBEDDING,
  MOBILENET_FEATURE_LAYER,
  MOBILENET_INPUT_SIZE,
  MOBILENET_LOGITS_LAYER,
  TOP_IMAGENET_CLASSES,
  type EmbeddedImage,
  type ImageEmbeddingOptions,
  type ImageModel,
  type ImageNetClass,
} from './imageModelSpec.js';
import { classifierKernel, loadFeatureModel, predictRows } from './mobilenet.js';
import { decodeRgb, toModelInput } from './preprocess.js';
import { l2Normalize } from '../lib/vectors.js';
import { assertFastBackend, initTfBackend } from './tfBackend.js';

export { ImageDecodeError } from './preprocess.js';

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
  assertFastBackend(tf.getBackend());
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
