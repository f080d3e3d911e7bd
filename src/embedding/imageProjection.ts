// The searched image vector: MobileNet features plus a discriminant part
// learned on the training split (docs/models.md "Images"). LDA finds the directions
// that separate the training categories relative to the spread within them;
// the searched vector is the centred features with `weight` × the unit LDA
// coordinates added along an orthonormal basis of those directions. The
// features keep most of the weight, so categories the projection never saw
// keep their neighbours (measured with categories left out of the fit).
import { createHash } from 'node:crypto';
import { fitLda, project, type Projection } from './linearDiscriminant.js';
import { l2Normalize } from '../lib/vectors.js';

/** Shrinkage of the within-class scatter (4-fold cross-validation inside the training split). */
export const PROJECTION_SHRINKAGE = 1.0;
/** Weight of the discriminant part: the best held-out P@10 that leaves unseen categories as they were. */
export const PROJECTION_WEIGHT = 0.75;

export interface ImageProjection {
  /** Names the fit: the feature recipe, the training images and the settings. */
  version: string;
  lda: Projection;
  /** Orthonormal basis of the discriminant directions, dims × outDims row-major. */
  basis: Float64Array;
  weight: number;
}

export interface LabelledFeatures {
  id: string;
  category: string;
  features: Float32Array;
}

export function projectionVersion(featureRecipe: string, trainIds: readonly string[], weight = PROJECTION_WEIGHT): string {
  const hash = createHash('sha256');
  hash.update(`${featureRecipe}|shrinkage=${PROJECTION_SHRINKAGE}|weight=${weight}|`);
  for (const id of [...trainIds].sort()) hash.update(`${id},`);
  return `lda-${hash.digest('hex').slice(0, 16)}`;
}

/** Gram–Schmidt on the columns of the discriminant weights. */
function orthonormalColumns(weights: Float64Array, dims: number, outDims: number): Float64Array {
  const basis = new Float64Array(dims * outDims);
  for (let o = 0; o < outDims; o++) {
    const v = new Float64Array(dims);
    for (let d = 0; d < dims; d++) v[d] = weights[d * outDims + o]!;
    for (let p = 0; p < o; p++) {
      let dot = 0;
      for (let d = 0; d < dims; d++) dot += basis[d * outDims + p]! * v[d]!;
      for (let d = 0; d < dims; d++) v[d]! -= dot * basis[d * outDims + p]!;
    }
    const norm = Math.sqrt(v.reduce((sum, x) => sum + x * x, 0)) || 1;
    for (let d = 0; d < dims; d++) basis[d * outDims + o] = v[d]! / norm;
  }
  return basis;
}

/**
 * Fitted on the categories with at least two training images (a single image
 * says nothing about the spread within its category). Null when fewer than two
 * such categories exist: nothing to separate.
 */
export function fitImageProjection(
  training: readonly LabelledFeatures[],
  featureRecipe: string,
  weight = PROJECTION_WEIGHT,
): ImageProjection | null {
  const perCategory = new Map<string, number>();
  for (const row of training) perCategory.set(row.category, (perCategory.get(row.category) ?? 0) + 1);
  const usable = training.filter((row) => perCategory.get(row.category)! >= 2);
  if (new Set(usable.map((row) => row.category)).size < 2) return null;
  const lda = fitLda(
    usable.map((row) => row.features),
    usable.map((row) => row.category),
    PROJECTION_SHRINKAGE,
  );
  if (!lda.weights.every(Number.isFinite)) return null;
  return {
    version: projectionVersion(featureRecipe, training.map((row) => row.id), weight),
    lda,
    basis: orthonormalColumns(lda.weights, lda.dims, lda.outDims),
    weight,
  };
}

/** Features → the L2-normalised vector that is stored and searched. */
export function applyImageProjection(projection: ImageProjection | null, features: Float32Array): Float32Array {
  if (!projection) return features;
  const { lda, basis, weight } = projection;
  const centred = l2Normalize(features.map((x, d) => x - lda.mean[d]!));
  const discriminant = l2Normalize(project(lda, features));
  const out = Float32Array.from(centred);
  for (let d = 0; d < lda.dims; d++) {
    let sum = 0;
    for (let o = 0; o < lda.outDims; o++) sum += basis[d * lda.outDims + o]! * discriminant[o]!;
    out[d]! += weight * sum;
  }
  return l2Normalize(out);
}
