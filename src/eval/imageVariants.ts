// Image → image quality of embedding variants over the Pascal images: crop vs
// stretch, mirror-image averaging, ImageNet class probabilities, and
// projections learned on the training split (src/dataset/split.ts). Raw features
// per view are cached under DATA_DIR/eval, so re-runs only do the arithmetic.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { listPascalImages, type PascalImage } from '../dataset/pascal.js';
import { heldOutNames } from '../dataset/split.js';
import {
  applyImageProjection,
  decodeRgb,
  fitImageProjection,
  fitLda,
  initTfBackend,
  loadMobilenetCode,
  mobilenetDir,
  MOBILENET_FEATURE_LAYER,
  MOBILENET_INPUT_SIZE,
  MOBILENET_LOGITS_LAYER,
  project,
  PROJECTION_WEIGHT,
  toModelInput,
  type ImageFit,
} from '../embedding/index.js';
import { createProgress } from '../lib/progress.js';
import { l2Normalize } from '../lib/vectors.js';
import { imageToImageMetrics, type LabeledVector, type RetrievalMetrics } from './imageToImage.js';

const FEATURES = 768;
const LOGITS = 1000;
const ROW = FEATURES + LOGITS;
/** Images decoded at once (their model inputs are 600 KB each). */
const DECODE_BATCH = 8;
/** Shrinkage of the within-class scatter, chosen by 4-fold cross-validation inside the training split. */
export const LDA_SHRINKAGE = 1.0;

export interface View {
  fit: ImageFit;
  mirror: boolean;
}
const VIEWS: View[] = [
  { fit: 'fill', mirror: false },
  { fit: 'cover', mirror: false },
  { fit: 'fill', mirror: true },
  { fit: 'cover', mirror: true },
];
const viewName = (view: View) => `${view.fit}-${view.mirror ? 1 : 0}`;

interface ViewFeatures {
  pooled: Float32Array[];
  logits: Float32Array[];
}

/** Pooled features and ImageNet logits of every image for one view (cached). */
async function viewFeatures(images: readonly PascalImage[], view: View, assetsDir: string, cacheDir: string) {
  const file = path.join(cacheDir, `image-features-${viewName(view)}.f32`);
  let data: Float32Array;
  if (existsSync(file)) {
    const bytes = readFileSync(file);
    data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  } else {
    await initTfBackend();
    const { loadFeatureModel, predictRows } = await loadMobilenetCode();
    const model = await loadFeatureModel(mobilenetDir(assetsDir), [MOBILENET_FEATURE_LAYER, MOBILENET_LOGITS_LAYER]);
    data = new Float32Array(images.length * ROW);
    const progress = createProgress(`features ${viewName(view)}`, images.length, 'images');
    const size = MOBILENET_INPUT_SIZE;
    for (let start = 0; start < images.length; start += DECODE_BATCH) {
      const chunk = images.slice(start, start + DECODE_BATCH);
      const inputs = await Promise.all(
        chunk.map(async (image) => toModelInput((await decodeRgb(await readFile(image.file), size, view.fit)).rgb, size, view.mirror)),
      );
      const rows = predictRows(model, inputs, (pooled, logits) => tf.concat([pooled, logits], 1));
      rows.forEach((row, i) => data.set(row, (start + i) * ROW));
      progress.tick(chunk.length);
    }
    progress.finish();
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(file, Buffer.from(data.buffer));
  }
  const row = (i: number, from: number, width: number) => data.slice(i * ROW + from, i * ROW + from + width);
  return {
    pooled: images.map((_, i) => row(i, 0, FEATURES)),
    logits: images.map((_, i) => row(i, FEATURES, LOGITS)),
  } satisfies ViewFeatures;
}

const sum = (vectors: Float32Array[]) => vectors.slice(1).reduce((acc, v) => acc.map((x, i) => x + v[i]!), vectors[0]!);
const concat = (a: Float32Array, b: Float32Array, weight = 1) => {
  const out = new Float32Array(a.length + b.length);
  out.set(l2Normalize(a));
  out.set(l2Normalize(b).map((x) => x * weight), a.length);
  return out;
};
function softmax(logits: Float32Array): Float32Array {
  const max = Math.max(...logits);
  const exp = logits.map((x) => Math.exp(x - max));
  const total = exp.reduce((a, b) => a + b, 0);
  return exp.map((x) => x / total);
}

/** The ImageNet classifier's class vectors, kernel[i][c] (768 × 1000). */
async function readClassifierKernel(assetsDir: string): Promise<number[][]> {
  await initTfBackend();
  const { classifierKernel, loadFeatureModel } = await loadMobilenetCode();
  const model = await loadFeatureModel(mobilenetDir(assetsDir), [MOBILENET_FEATURE_LAYER, MOBILENET_LOGITS_LAYER]);
  const kernel = classifierKernel(model);
  const rows = kernel.arraySync();
  kernel.dispose();
  return rows;
}

/** Pooled features plus `weight` × the class-probability-weighted class vector (see imageEmbedding.ts classBlend). */
function classBlend(pooled: Float32Array, logits: Float32Array, kernel: number[][], weight: number): Float32Array {
  const p = softmax(logits);
  const prototype = new Float32Array(pooled.length).map((_, i) => kernel[i]!.reduce((acc, w, c) => acc + w * p[c]!, 0));
  const a = l2Normalize(pooled);
  const b = l2Normalize(prototype);
  return a.map((x, i) => x + weight * b[i]!);
}

export interface VariantResult {
  name: string;
  all: RetrievalMetrics;
  /** The 200 held-out images as queries against all 1000. */
  heldOut: RetrievalMetrics;
}

export async function evaluateImageVariants(assetsDir: string, cacheDir: string): Promise<VariantResult[]> {
  const images = listPascalImages(assetsDir);
  const views: ViewFeatures[] = [];
  for (const view of VIEWS) views.push(await viewFeatures(images, view, assetsDir, cacheDir));
  const [f, c, fm, cm] = views as [ViewFeatures, ViewFeatures, ViewFeatures, ViewFeatures];
  const kernel = await readClassifierKernel(assetsDir);
  const heldOut = heldOutNames(images.map((image) => ({ name: image.id, category: image.category })));
  const isTrain = images.map((image) => !heldOut.has(image.id));

  const variants: [string, (i: number) => Float32Array][] = [
    ['stretch 224×224 (tutorial)', (i) => f.pooled[i]!],
    ['centre crop', (i) => c.pooled[i]!],
    ['stretch + mirror average', (i) => sum([f.pooled[i]!, fm.pooled[i]!])],
    ['centre crop + mirror average', (i) => sum([c.pooled[i]!, cm.pooled[i]!])],
    ['stretch + crop + mirrors average', (i) => sum([f.pooled[i]!, c.pooled[i]!, fm.pooled[i]!, cm.pooled[i]!])],
    ['ImageNet class probabilities (crop)', (i) => softmax(c.logits[i]!)],
    ['crop features ⊕ 0.5 × class probabilities (1768-d)', (i) => concat(c.pooled[i]!, softmax(c.logits[i]!), 0.5)],
    ['crop + 0.5 × class prototype (stored features)', (i) => classBlend(c.pooled[i]!, c.logits[i]!, kernel, 0.5)],
    ['crop + 1.0 × class prototype', (i) => classBlend(c.pooled[i]!, c.logits[i]!, kernel, 1)],
    ['stretch + 0.5 × class prototype', (i) => classBlend(f.pooled[i]!, f.logits[i]!, kernel, 0.5)],
    ['crop + mirror, each + 0.5 × class prototype', (i) => sum([classBlend(c.pooled[i]!, c.logits[i]!, kernel, 0.5), classBlend(cm.pooled[i]!, cm.logits[i]!, kernel, 0.5)])],
  ];
  const results: VariantResult[] = [];
  const evaluate = (name: string, vectorOf: (i: number) => Float32Array) => {
    const items: LabeledVector[] = images.map((image, i) => ({
      id: image.id,
      category: image.category,
      vector: l2Normalize(vectorOf(i)),
    }));
    results.push({
      name,
      all: imageToImageMetrics(items),
      heldOut: imageToImageMetrics(items, 10, items.filter((item) => heldOut.has(item.id))),
    });
  };
  for (const [name, vectorOf] of variants) evaluate(name, vectorOf);

  // Learned on the 800 training images only (their categories), applied to all.
  const base = images.map((_, i) => l2Normalize(sum([c.pooled[i]!, cm.pooled[i]!])));
  const train = base.filter((_, i) => isTrain[i]);
  const lda = fitLda(train, images.filter((_, i) => isTrain[i]).map((image) => image.category), LDA_SHRINKAGE);
  const centred = (v: Float32Array) => v.map((x, d) => x - lda.mean[d]!);
  evaluate('crop + mirror, centred on the training mean', (i) => centred(base[i]!));
  evaluate('LDA on the training split (19-d)', (i) => project(lda, base[i]!));
  evaluate('centred ⊕ LDA (787-d)', (i) => concat(centred(base[i]!), project(lda, base[i]!)));

  // The stored recipe: class-blend features through the learned projection (imageProjection.ts).
  const stored = images.map((_, i) => l2Normalize(classBlend(c.pooled[i]!, c.logits[i]!, kernel, 0.5)));
  const labelled = images.map((image, i) => ({ id: image.id, category: image.category, features: stored[i]! }));
  for (const weight of PROJECTION_WEIGHTS) {
    const projection = fitImageProjection(labelled.filter((_, i) => isTrain[i]), 'eval', weight)!;
    evaluate(`stored features + learned projection, weight ${weight}${weight === PROJECTION_WEIGHT ? ' (searched)' : ''}`, (i) => applyImageProjection(projection, stored[i]!));
  }
  return results;
}

const PROJECTION_WEIGHTS = [0.5, 0.75, 1, 1.5];

/** Groups of categories left out of the projection's fit in turn (what photos of new kinds of things get). */
const UNSEEN_CATEGORY_GROUPS = [
  ['aeroplane', 'cow', 'sofa', 'tvmonitor'],
  ['bird', 'bus', 'horse', 'pottedplant'],
  ['bottle', 'cat', 'motorbike', 'train'],
  ['bicycle', 'chair', 'dog', 'sheep'],
  ['boat', 'car', 'diningtable', 'person'],
];

export interface UnseenCategoryResult {
  weight: number;
  /** P@10 of queries from categories the fit never saw, against all 1000 images: without / with the projection. */
  withoutProjection: number;
  withProjection: number;
}

/**
 * Does the projection hurt photos of kinds it was not fitted on? For each
 * group, fit on the training images of the other 16 categories and measure the
 * group's queries against all images, with and without the projection.
 */
export async function evaluateUnseenCategories(assetsDir: string, cacheDir: string): Promise<UnseenCategoryResult[]> {
  const images = listPascalImages(assetsDir);
  const c = await viewFeatures(images, { fit: 'cover', mirror: false }, assetsDir, cacheDir);
  const kernel = await readClassifierKernel(assetsDir);
  const heldOut = heldOutNames(images.map((image) => ({ name: image.id, category: image.category })));
  const stored = images.map((_, i) => l2Normalize(classBlend(c.pooled[i]!, c.logits[i]!, kernel, 0.5)));
  const labelled = images.map((image, i) => ({ id: image.id, category: image.category, features: stored[i]! }));
  const precision = (vectorOf: (i: number) => Float32Array, queries: (category: string) => boolean) => {
    const items = images.map((image, i) => ({ id: image.id, category: image.category, vector: vectorOf(i) }));
    return imageToImageMetrics(items, 10, items.filter((item) => queries(item.category))).precisionAtK;
  };
  return PROJECTION_WEIGHTS.map((weight) => {
    let without = 0;
    let withProjection = 0;
    for (const group of UNSEEN_CATEGORY_GROUPS) {
      const fitOn = labelled.filter((row) => !group.includes(row.category) && !heldOut.has(row.id));
      const projection = fitImageProjection(fitOn, 'eval', weight)!;
      const inGroup = (category: string) => group.includes(category);
      without += precision((i) => stored[i]!, inGroup) / UNSEEN_CATEGORY_GROUPS.length;
      withProjection += precision((i) => applyImageProjection(projection, stored[i]!), inGroup) / UNSEEN_CATEGORY_GROUPS.length;
    }
    return { weight, withoutProjection: without, withProjection };
  });
}

export function formatUnseenCategories(results: readonly UnseenCategoryResult[]): string {
  const f = (x: number) => x.toFixed(3);
  return [
    '| projection weight | P@10, unseen categories, features alone | with the projection |',
    '| --- | --- | --- |',
    ...results.map((r) => `| ${r.weight} | ${f(r.withoutProjection)} | ${f(r.withProjection)} |`),
  ].join('\n');
}

export function formatVariants(results: readonly VariantResult[]): string {
  const header = '| variant | P@10 (1000 queries) | mAP@10 | P@10 (200 held-out queries) | mAP@10 |\n| --- | --- | --- | --- | --- |';
  const f = (x: number) => x.toFixed(3);
  return [
    header,
    ...results.map((r) => `| ${r.name} | ${f(r.all.precisionAtK)} | ${f(r.all.mapAtK)} | ${f(r.heldOut.precisionAtK)} | ${f(r.heldOut.mapAtK)} |`),
  ].join('\n');
}
