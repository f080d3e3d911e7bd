// cut: AUTO — where a ranked list stops being relevant: at the first large
// drop in score, as Weaviate's autocut cuts at the first jump.

export type CutMode = 'AUTO' | 'NONE';

/** The lists a cut ends: imagesForText in each mode, and similarImages. */
export type CutList = 'HYBRID' | 'VECTOR' | 'KEYWORD' | 'IMAGES';

/**
 * A drop is large when the next score falls below this share of the one
 * before it (each list's own score: the fused score, the vector side's, the
 * captions' ts_rank_cd, 1 − the cosine distance). Chosen on Pascal's training
 * split by `npm run eval` (docs/search.md, "The relevance cut").
 */
export const CUT_RATIO: Readonly<Record<CutList, number>> = {
  HYBRID: 0.9,
  VECTOR: 0.95,
  KEYWORD: 0.5,
  // Not measured on its own: the vector side's ratio, for a list of cosines too.
  IMAGES: 0.95,
};

/**
 * How many of `scores` (best first) come before the first large drop: all of
 * them when there is none. The first match is always kept.
 */
export function keptBeforeDrop(scores: readonly number[], ratio: number): number {
  for (let i = 1; i < scores.length; i++) {
    if (scores[i]! < ratio * scores[i - 1]!) return i;
  }
  return scores.length;
}

export function checkCut(cut: CutMode | null | undefined): CutMode {
  return cut ?? 'NONE';
}
