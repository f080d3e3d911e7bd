// ConSE (Norouzi et al. 2014), zero-shot: a photo placed in word space by its
// most probable ImageNet classes, each class's name as a GloVe vector,
// weighted by the class's probability. A signal that needs no caption at all.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { l2Normalize } from '../lib/vectors.js';
import type { ImageNetClass } from './imageModelSpec.js';

/** The model's 1000 ImageNet class names (metadata.json beside model.json), in class index order. */
export function readImageNetLabels(modelDir: string): string[] {
  const metadata = JSON.parse(readFileSync(path.join(modelDir, 'metadata.json'), 'utf8')) as { labels?: unknown };
  if (!Array.isArray(metadata.labels)) throw new Error(`no "labels" in ${path.join(modelDir, 'metadata.json')}`);
  return metadata.labels.map(String);
}

/** The words of a label's first name ("great white shark, white shark, …" → great, white, shark). */
export const labelWords = (label: string): string[] =>
  (label.split(',')[0] ?? '').toLowerCase().split(/[\s\-'_]+/).filter((word) => /^[a-z]+$/.test(word));

/** Each class's unit mean vector of its first name's known words (null: none known). */
export function classNameVectors(labels: readonly string[], vectorOf: (word: string) => Float32Array | undefined): (Float32Array | null)[] {
  return labels.map((label) => {
    const known = labelWords(label).flatMap((word) => {
      const vector = vectorOf(word);
      return vector ? [l2Normalize(vector)] : [];
    });
    if (known.length === 0) return null;
    const sum = new Float32Array(known[0]!.length);
    for (const vector of known) for (let i = 0; i < sum.length; i++) sum[i]! += vector[i]!;
    return l2Normalize(sum);
  });
}

/** The photo's ConSE vector: the unit probability-weighted sum of its top classes' name vectors (null when none has one). */
export function conseVector(classes: readonly ImageNetClass[], classVectors: readonly (Float32Array | null)[]): Float32Array | null {
  let sum: Float32Array | null = null;
  for (const { index, probability } of classes) {
    const vector = classVectors[index];
    if (!vector) continue;
    sum ??= new Float32Array(vector.length);
    for (let i = 0; i < vector.length; i++) sum[i]! += probability * vector[i]!;
  }
  return sum && l2Normalize(sum);
}

/** The model's word-space vector with the ConSE vector fused in at `weight` (unit; the model's alone without one). */
export function withConse(wordVector: Float32Array, conse: Float32Array | null, weight: number): Float32Array {
  if (!conse || weight === 0) return wordVector;
  return l2Normalize(wordVector.map((x, i) => x + weight * conse[i]!));
}
