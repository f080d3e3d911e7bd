// Image → image retrieval quality: every query ranks the other images by
// cosine similarity; an image of the query's category is relevant.
//   P@k    share of relevant images in the top k, averaged over queries
//   mAP@k  AP@k = (1 / min(k, R)) · Σ_{i ≤ k} P@i · rel_i (R = relevant images
//          in the gallery), averaged over queries; 1 only if the top k are
//          all relevant, rewards relevant images ranked early
import { dot } from '../lib/vectors.js';

export interface LabeledVector {
  id: string;
  category: string;
  /** L2-normalised, so the dot product is the cosine similarity. */
  vector: Float32Array;
}

export interface RetrievalMetrics {
  k: number;
  queries: number;
  precisionAtK: number;
  mapAtK: number;
}

/** Top-k gallery indices for one query (the query itself excluded), best first. */
export function topK(query: LabeledVector, gallery: readonly LabeledVector[], k: number): number[] {
  const scored: { index: number; score: number }[] = [];
  gallery.forEach((item, index) => {
    if (item.id !== query.id) scored.push({ index, score: dot(query.vector, item.vector) });
  });
  scored.sort((a, b) => b.score - a.score || (gallery[a.index]!.id < gallery[b.index]!.id ? -1 : 1));
  return scored.slice(0, k).map((entry) => entry.index);
}

export function averagePrecisionAtK(relevant: readonly boolean[], totalRelevant: number, k: number): number {
  let hits = 0;
  let sum = 0;
  relevant.slice(0, k).forEach((isRelevant, i) => {
    if (!isRelevant) return;
    hits += 1;
    sum += hits / (i + 1);
  });
  const denominator = Math.min(k, totalRelevant);
  return denominator > 0 ? sum / denominator : 0;
}

/**
 * P@k and mAP@k with `queries` (default: every gallery image) searched against
 * `gallery` (default: all). A query's own entry in the gallery is excluded.
 */
export function imageToImageMetrics(
  gallery: readonly LabeledVector[],
  k = 10,
  queries: readonly LabeledVector[] = gallery,
): RetrievalMetrics {
  const perCategory = new Map<string, number>();
  for (const item of gallery) perCategory.set(item.category, (perCategory.get(item.category) ?? 0) + 1);
  let precision = 0;
  let ap = 0;
  for (const query of queries) {
    const relevant = topK(query, gallery, k).map((index) => gallery[index]!.category === query.category);
    const inGallery = gallery.some((item) => item.id === query.id) ? 1 : 0;
    const totalRelevant = (perCategory.get(query.category) ?? 0) - inGallery;
    precision += relevant.filter(Boolean).length / k;
    ap += averagePrecisionAtK(relevant, totalRelevant, k);
  }
  const n = Math.max(queries.length, 1);
  return { k, queries: queries.length, precisionAtK: precision / n, mapAtK: ap / n };
}
