// Image bytes → 768-d L2-normalised MobileNet features. Free of app and
// database dependencies so the same code runs in worker threads.
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { l2Normalize } from './text.js';
import { MOBILENET_DIR_NAME, MOBILENET_INPUT_SIZE, loadFeatureModel } from './mobilenet.js';
import { decodeRgb, toModelInput, type ImageFit } from './preprocess.js';
import { assertFastBackend, initTfBackend, type TfBackend } from './tfBackend.js';

export { ImageDecodeError } from './preprocess.js';

export const IMAGE_DIMENSIONS = 768;

export interface ImageEmbeddingOptions {
  fit: ImageFit;
  /** Average the features of the photo and its mirror image (left-right). */
  flipAverage: boolean;
}

/** The stored embedding's recipe: centre crop, no mirror averaging (P@10 0.470 vs 0.457 stretched; README "Images"). */
export const IMAGE_EMBEDDING: ImageEmbeddingOptions = { fit: 'cover', flipAverage: false };

/** Images per model call: bounds tensor memory, keeps wasm busy. */
const PREDICT_BATCH = 16;

export interface ImageModel {
  backend: TfBackend;
  options: ImageEmbeddingOptions;
  embedImage(bytes: Uint8Array): Promise<Float32Array>;
  /** Same order as the input; throws ImageDecodeError if any image is unreadable. */
  embedImages(images: readonly Uint8Array[]): Promise<Float32Array[]>;
}

export function mobilenetDir(assetsDir: string): string {
  return path.join(assetsDir, 'models', MOBILENET_DIR_NAME);
}

/** Runs the model on preprocessed inputs; returns one raw feature row per input. */
export function predictFeatures(model: tfl.LayersModel, inputs: readonly Float32Array[]): Float32Array[] {
  assertFastBackend();
  const size = MOBILENET_INPUT_SIZE;
  const rows: Float32Array[] = [];
  for (let start = 0; start < inputs.length; start += PREDICT_BATCH) {
    const chunk = inputs.slice(start, start + PREDICT_BATCH);
    const flat = new Float32Array(chunk.length * size * size * 3);
    chunk.forEach((input, i) => flat.set(input, i * input.length));
    const output = tf.tidy(() => {
      const batch = tf.tensor4d(flat, [chunk.length, size, size, 3]);
      return tf.reshape(model.predict(batch) as tf.Tensor, [chunk.length, -1]);
    });
    const data = output.dataSync() as Float32Array;
    const width = data.length / chunk.length;
    output.dispose();
    for (let i = 0; i < chunk.length; i++) rows.push(data.slice(i * width, (i + 1) * width));
  }
  return rows;
}

function sum(a: Float32Array, b: Float32Array): Float32Array {
  return a.map((x, i) => x + b[i]!);
}

export async function loadImageModel(
  modelDir: string,
  options: ImageEmbeddingOptions = IMAGE_EMBEDDING,
  log?: (message: string) => void,
): Promise<ImageModel> {
  const backend = await initTfBackend(log);
  const model = await loadFeatureModel(modelDir);
  const size = MOBILENET_INPUT_SIZE;

  async function embedImages(images: readonly Uint8Array[]): Promise<Float32Array[]> {
    const rgb = await Promise.all(images.map((bytes) => decodeRgb(bytes, size, options.fit)));
    const inputs = rgb.map((pixels) => toModelInput(pixels, size));
    if (!options.flipAverage) return predictFeatures(model, inputs).map(l2Normalize);
    const mirrored = rgb.map((pixels) => toModelInput(pixels, size, true));
    const features = predictFeatures(model, [...inputs, ...mirrored]);
    return inputs.map((_, i) => l2Normalize(sum(features[i]!, features[i + inputs.length]!)));
  }

  return {
    backend,
    options,
    embedImages,
    async embedImage(bytes) {
      return (await embedImages([bytes]))[0]!;
    },
  };
}
