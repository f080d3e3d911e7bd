// ImageMatch.scores: the parts a match's rank was made of, and where the
// relevance cut falls, for imagesForText's fused list and similarImages.
import type { TextMatchRow } from '../repositories/textSearchRepository.js';

export type TextSearchMode = 'VECTOR' | 'KEYWORD' | 'HYBRID';

export interface MatchScores {
  /** The score the list is ordered by: the fused score (imagesForText), 1 − distance (similarImages). */
  rankScore: number;
  /** 1 − the vector distance; null when no word of the text has a vector. */
  cosine: number | null;
  vote: number | null;
  vectorScore: number | null;
  vectorRank: number | null;
  keywordScore: number | null;
  keywordRank: number | null;
  /** The score cut: AUTO compares between neighbours in the list. */
  cutScore: number;
  /** Whether cut: AUTO keeps the match (it comes before the first large drop of its page). */
  keptByCut: boolean;
}

/** What the cut compares in each mode: the score of the ranking the mode is ordered by. */
export function cutScore(row: TextMatchRow, mode: TextSearchMode): number {
  if (mode === 'VECTOR') return row.vectorScore ?? row.fused;
  if (mode === 'KEYWORD') return row.keywordScore ?? row.fused;
  return row.fused;
}

export function textMatchScores(row: TextMatchRow, cut: number, keptByCut: boolean): MatchScores {
  return {
    rankScore: row.fused,
    cosine: row.distance === null ? null : 1 - row.distance,
    vote: row.vote,
    vectorScore: row.vectorScore,
    vectorRank: row.vectorRank,
    keywordScore: row.keywordScore,
    keywordRank: row.keywordRank,
    cutScore: cut,
    keptByCut,
  };
}

/** A similarImages match: its cosine is all its rank is made of. */
export function imageMatchScores(distance: number, keptByCut: boolean): MatchScores {
  const cosine = 1 - distance;
  return {
    rankScore: cosine,
    cosine,
    vote: null,
    vectorScore: null,
    vectorRank: null,
    keywordScore: null,
    keywordRank: null,
    cutScore: cosine,
    keptByCut,
  };
}
