// Caption transfer measured in memory with the served code's own functions
// (scoreTags, foldTags, transferredVector, transferredWordVotes, and the
// store's searched_text_vector and text_search_score): a photo's tags and its
// text search ranking from a pool of captioned photos, found by exact nearest
// neighbours over the same image vectors the service searches through HNSW.
// The cross-validation that chose k, T and the fusion weights on them is in
// transferCrossValidation.ts.
import {
  applyImageProjection,
  candidatesFor,
  embeddingVersion,
  fitImageProjection,
  captionWordList,
  foldTags,
  scoreTags,
  TEXT_VOTE_SHIFT,
  textVoteKeys,
  transferredVector,
  transferredWordVotes,
  TRANSFER,
  type FoldedTag,
  type TagCandidate,
  type TransferParameters,
  type VotedWord,
} from '../embedding/index.js';
import { dot, l2Normalize } from '../lib/vectors.js';
import type { EvalTextSearchRepository } from '../repositories/evalTextSearchRepository.js';
import { average, captionWordSet, namesClass, tagPrecision } from './captionMetrics.js';
import {
  classQueries,
  mean,
  queryKey,
  scoreClassQueries,
  scoreOpenVocabulary,
  wordQueries,
  type SearchedVector,
  type TextQueryWords,
  type WordVectors,
} from './wordModelMetrics.js';

/** The store's text-search rules, which rank the evaluation's in-memory photos as the served search does. */
export type TextSearchRules = Pick<EvalTextSearchRepository, 'searchedTextVectors' | 'textSearchScores'>;

/** A vocabulary word as tags are served: unit vector, its tag and the tag's other words. */
export interface TagWord {
  text: string;
  tag: string | null;
  vector: Float32Array;
  synonyms: string[];
}

export interface TransferPhoto {
  id: string;
  captions: readonly string[];
  /** Unit searched image vector (what similarImages and the neighbour search compare). */
  imageVector: Float32Array;
  /** Unit word-space vector of the image → word model. */
  wordVector: Float32Array;
}

/** A captioned photo of the pool, as the store keeps it. */
export interface PoolPhoto {
  id: string;
  imageVector: Float32Array;
  captionWords: readonly string[];
  captionCount: number;
  captionEmbedding: Float32Array;
}

export interface Neighbour {
  distance: number;
  photo: PoolPhoto;
}

/** The pool photos with a caption vector (captioned, as the store counts them). */
export function buildPool(
  photos: readonly { id: string; captions: readonly string[]; imageVector: Float32Array }[],
  vectors: WordVectors,
): PoolPhoto[] {
  return photos.flatMap((photo) => {
    const words = captionWordList(photo.captions);
    const known = words.flatMap((word) => (vectors.has(word) ? [l2Normalize(vectors.get(word)!)] : []));
    if (known.length === 0) return [];
    const sum = new Float32Array(known[0]!.length);
    for (const vector of known) for (let i = 0; i < sum.length; i++) sum[i]! += vector[i]!;
    return [{ id: photo.id, imageVector: photo.imageVector, captionWords: words, captionCount: photo.captions.length, captionEmbedding: l2Normalize(sum) }];
  });
}

/** Equal-length vectors one after another in one array (tight loops over many). */
function packRows(rows: readonly Float32Array[]): Float32Array {
  const width = rows[0]?.length ?? 0;
  const packed = new Float32Array(rows.length * width);
  rows.forEach((row, j) => packed.set(row, j * width));
  return packed;
}

/** Each photo's `k` nearest pool photos but itself, nearest first (exact; ties by id), over the pool packed once. */
export function nearestInPool(
  photos: readonly { id: string; imageVector: Float32Array }[],
  pool: readonly PoolPhoto[],
  k: number,
): Neighbour[][] {
  const width = pool[0]?.imageVector.length ?? 0;
  const packed = packRows(pool.map((photo) => photo.imageVector));
  return photos.map((photo) => {
    const best: Neighbour[] = [];
    const query = photo.imageVector;
    for (let j = 0; j < pool.length; j++) {
      let similarity = 0;
      for (let i = 0, at = j * width; i < width; i++, at++) similarity += query[i]! * packed[at]!;
      const distance = 1 - similarity;
      const last = best[best.length - 1];
      if (best.length === k && last && (distance > last.distance || (distance === last.distance && pool[j]!.id > last.photo.id))) continue;
      if (pool[j]!.id === photo.id) continue;
      best.push({ distance, photo: pool[j]! });
      best.sort((a, b) => a.distance - b.distance || (a.photo.id < b.photo.id ? -1 : 1));
      if (best.length > k) best.pop();
    }
    return best;
  });
}

/** Tags scored per photo: precision@5, recall@10. */
export const TAGS_SCORED = 10;

/** Tags as served, with the work that does not depend on the parameters kept between trials. */
export class TagScorer {
  private readonly index: Map<string, TagWord>;
  private readonly modelCache = new WeakMap<Float32Array, TagCandidate[]>();
  private readonly votedCache = new WeakMap<readonly Neighbour[], Map<number, VotedWord[]>>();
  private packed?: Float32Array;

  constructor(private readonly vocabulary: readonly TagWord[]) {
    this.index = new Map(vocabulary.map((word) => [word.text, word]));
  }

  private candidate(word: TagWord, wordVector: Float32Array): TagCandidate {
    return { text: word.text, tag: word.tag, distance: 1 - dot(wordVector, word.vector), vector: word.vector, synonyms: word.synonyms };
  }

  /** The model's nearest vocabulary words (what the tag_words index search returns). */
  modelCandidates(wordVector: Float32Array, first: number): TagCandidate[] {
    const n = candidatesFor(first);
    const width = wordVector.length;
    this.packed ??= packRows(this.vocabulary.map((word) => word.vector));
    const packed = this.packed;
    const best: { score: number; index: number }[] = [];
    for (let w = 0, at = 0; w < this.vocabulary.length; w++, at += width) {
      let score = 0;
      for (let i = 0; i < width; i++) score += wordVector[i]! * packed[at + i]!;
      if (best.length < n || score > best[best.length - 1]!.score) {
        best.push({ score, index: w });
        best.sort((a, b) => b.score - a.score);
        if (best.length > n) best.pop();
      }
    }
    return best.map(({ index }) => this.candidate(this.vocabulary[index]!, wordVector));
  }

  /** Vocabulary words of the neighbours' captions, as the voted-words query returns them. */
  votedWords(wordVector: Float32Array, neighbours: readonly Neighbour[]): VotedWord[] {
    const voted = new Map<string, VotedWord>();
    neighbours.forEach(({ photo }, place) => {
      const counts = new Map<string, number>();
      for (const word of photo.captionWords) counts.set(word, (counts.get(word) ?? 0) + 1);
      for (const [text, count] of counts) {
        const word = this.index.get(text);
        if (!word) continue;
        // As the voted-words query returns them: without their vectors.
        const entry = voted.get(text) ?? { ...this.candidate(word, wordVector), vector: null, neighbours: [], shares: [] };
        entry.neighbours.push(place);
        entry.shares.push(count / photo.captionCount);
        voted.set(text, entry);
      }
    });
    return [...voted.values()];
  }

  /** The first 10 tags as served (no neighbours: the model alone); own captions are never used. */
  tags(photo: TransferPhoto, neighbours: readonly Neighbour[], p: TransferParameters): FoldedTag[] {
    const used = neighbours.slice(0, p.neighbours);
    let model = this.modelCache.get(photo.wordVector);
    if (!model) this.modelCache.set(photo.wordVector, (model = this.modelCandidates(photo.wordVector, TAGS_SCORED)));
    const byK = this.votedCache.get(neighbours) ?? new Map<number, VotedWord[]>();
    this.votedCache.set(neighbours, byK);
    let voted = byK.get(used.length);
    if (!voted) byK.set(used.length, (voted = this.votedWords(photo.wordVector, used)));
    const scored = scoreTags({ modelCandidates: model, voted, neighbourDistances: used.map((n) => n.distance) }, p);
    return foldTags(scored, TAGS_SCORED);
  }
}

/**
 * The photos as text search ranks them for `queries`, as served: each one's
 * searched vector (the store's searched_text_vector of its model vector and
 * the vector transferred from its neighbours) and its score for each query
 * (the store's text_search_score of that vector's cosine and the neighbours'
 * votes for the query's words, taken together with `voteShift`). Two round
 * trips to the store in all.
 */
export async function searchedTexts<T extends TransferPhoto>(
  photos: readonly T[],
  neighbours: readonly (readonly Neighbour[])[],
  queries: readonly TextQueryWords[],
  p: TransferParameters,
  rules: TextSearchRules,
  voteShift = TEXT_VOTE_SHIFT,
): Promise<(T & Required<SearchedVector>)[]> {
  const used = photos.map((_, i) => neighbours[i]!.slice(0, p.neighbours));
  const transferred = used.map(
    (near) => transferredVector(near.map((n) => ({ distance: n.distance, captionEmbedding: n.photo.captionEmbedding })), p).vector,
  );
  const vectors = await rules.searchedTextVectors(photos.map((photo) => photo.wordVector), transferred);
  const keys = queries.map((query) => textVoteKeys(query.words));
  const inputs = used.flatMap((near, i) => {
    const votes = new Map(
      transferredWordVotes(near.map((n) => ({ distance: n.distance, captionWords: n.photo.captionWords, captionCount: n.photo.captionCount })), p),
    );
    return queries.map((query, j) => ({
      cosine: dot(query.vector, vectors[i]!),
      votes: keys[j]!.flatMap((key) => (votes.has(key) ? [votes.get(key)!] : [])),
      keyCount: keys[j]!.length,
      voteWeight: p.textVoteWeight,
      voteShift,
    }));
  });
  const scores = await rules.textSearchScores(inputs);
  return photos.map((photo, i) => ({
    ...photo,
    vector: vectors[i]!,
    textScores: new Map(queries.map((query, j) => [queryKey(query.words), scores[i * queries.length + j]!])),
  }));
}

export interface PascalPhoto extends TransferPhoto {
  category: string;
}

export interface PascalTagScores {
  tagsTop1: number;
  tagsTop5: number;
  tagPrecisionAt5: number;
}

export interface PascalTextScores {
  classTextToImage: number;
  openVocabulary: number;
}

/** Tags of Pascal photos (own captions never used): the class word first / in the first 5, precision@5 against the captions. */
export function scorePascalTags(
  photos: readonly PascalPhoto[],
  neighbours: readonly (readonly Neighbour[])[],
  scorer: TagScorer,
  p: TransferParameters,
): PascalTagScores {
  const tags = photos.map((photo, i) => scorer.tags(photo, neighbours[i]!, p));
  const served = photos.map((photo, i) => tags[i]!.slice(0, 5).map((tag) => namesClass(tag, photo.category)));
  return {
    tagsTop1: average(served.map((hits) => (hits[0] ? 1 : 0))),
    tagsTop5: average(served.map((hits) => (hits.some(Boolean) ? 1 : 0))),
    tagPrecisionAt5: tagPrecision(
      tags.map((list) => list.map((tag) => [tag.text])),
      photos.map((photo) => captionWordSet(photo.captions)),
    ),
  };
}

/** Text → image within `photos` as served: class names, and the open-vocabulary proxy words. */
export async function scorePascalText(
  photos: readonly PascalPhoto[],
  neighbours: readonly (readonly Neighbour[])[],
  vectors: WordVectors,
  p: TransferParameters,
  rules: TextSearchRules,
): Promise<PascalTextScores> {
  const queries = [...classQueries(photos, vectors), ...wordQueries(vectors)];
  const searched = await searchedTexts(photos, neighbours, queries, p, rules);
  return {
    classTextToImage: mean(Object.values(scoreClassQueries(searched, vectors))),
    openVocabulary: mean(Object.values(scoreOpenVocabulary(searched, vectors)).map((s) => s.precision)),
  };
}
