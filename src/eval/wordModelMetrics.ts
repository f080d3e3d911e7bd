// Held-out metrics of the image → word-space model, on plain vectors so the
// same code scores experiment variants and the stored database.
import { captionWordCounts, categoryWords, distinctLemmas, lemmaKey } from '../embedding/index.js';
import { dot, l2Normalize, meanVector } from '../lib/vectors.js';

export interface ScoredImage extends SearchedVector {
  category: string;
  captions: readonly string[];
}

/** What a text search ranks: a unit vector and, as served with caption transfer, the store's score for each query. */
export interface SearchedVector {
  vector: Float32Array;
  /** The served score of each query asked (by queryKey of its words), which then replaces the cosine. */
  textScores?: ReadonlyMap<string, number>;
}

/** A text query as the metrics ask it: its words and their unit mean vector. */
export interface TextQueryWords {
  words: readonly string[];
  vector: Float32Array;
}

/** How SearchedVector.textScores names a query. */
export const queryKey = (words: readonly string[]) => words.join(' ');

function itemScore(query: Float32Array, item: SearchedVector, words: readonly string[]): number {
  if (!item.textScores) return dot(query, item.vector);
  const score = item.textScores.get(queryKey(words));
  if (score === undefined) throw new Error(`no served score for the query "${queryKey(words)}"`);
  return score;
}

export interface VocabularyWord {
  text: string;
  /** L2-normalised GloVe vector. */
  vector: Float32Array;
}

/**
 * Scene and attribute words of the held-out captions that are not class names
 * (each in the captions of at least 6 of the 200 held-out images): the proxy
 * for open-vocabulary search, which class-name targets never train for.
 */
export const OPEN_VOCABULARY_QUERIES = [
  'grass', 'water', 'trees', 'field', 'building', 'road', 'street', 'floor', 'food',
  'fence', 'sky', 'lake', 'kitchen', 'room', 'wooden', 'man', 'woman', 'red',
] as const;

export const PRECISION_AT = 10;

/**
 * Indexes of `items` by descending cosine to a unit `query` (items are unit
 * vectors), less each item's `penalty` where given (a hubness correction).
 */
export function rankByCosine(
  query: Float32Array,
  items: readonly SearchedVector[],
  penalty?: ArrayLike<number>,
  words: readonly string[] = [],
): number[] {
  const scores = items.map((item, index) => ({
    index,
    score: itemScore(query, item, words) - (penalty?.[index] ?? 0),
  }));
  return scores.sort((a, b) => b.score - a.score || a.index - b.index).map((s) => s.index);
}

export function tagsOf(
  vector: Float32Array,
  vocabulary: readonly VocabularyWord[],
  first: number,
  wordPenalty?: ArrayLike<number>,
): string[] {
  const ranked = rankByCosine(vector, vocabulary, wordPenalty).slice(0, first * 3 + 5);
  return distinctLemmas(
    ranked.map((i) => vocabulary[i]!),
    first,
  ).map((word) => word.text);
}

const classLemmas = (category: string) => new Set(categoryWords(category).map(lemmaKey));

export interface TagScores {
  top1: number;
  top5: number;
}

/** Is a class word (either word of a two-word class; plural forms count) the first tag / among the first 5. */
export function scoreTags(
  images: readonly ScoredImage[],
  vocabulary: readonly VocabularyWord[],
  wordPenalty?: ArrayLike<number>,
): TagScores {
  let top1 = 0;
  let top5 = 0;
  for (const image of images) {
    const wanted = classLemmas(image.category);
    const tags = tagsOf(image.vector, vocabulary, 5, wordPenalty).map(lemmaKey);
    if (wanted.has(tags[0]!)) top1++;
    if (tags.some((tag) => wanted.has(tag))) top5++;
  }
  return { top1: top1 / images.length, top5: top5 / images.length };
}

export type WordVectors = ReadonlyMap<string, Float32Array>;

/** The unit mean of the known words' vectors, or null. */
export function queryVector(words: readonly string[], vectors: WordVectors): Float32Array | null {
  const known = words.map((word) => vectors.get(word)).filter((v): v is Float32Array => v !== undefined);
  return known.length > 0 ? l2Normalize(meanVector(known)) : null;
}

function precisionAt(ranked: number[], relevant: (index: number) => boolean, k = PRECISION_AT): number {
  return ranked.slice(0, k).filter(relevant).length / k;
}

/** Each class of `images` with a known word, as a query: its name (both words of a two-word one). */
export function classQueries(images: readonly { category: string }[], vectors: WordVectors): (TextQueryWords & { category: string })[] {
  const categories = [...new Set(images.map((image) => image.category))].sort();
  return categories.flatMap((category) => {
    const vector = queryVector(categoryWords(category), vectors);
    return vector ? [{ category, words: categoryWords(category), vector }] : [];
  });
}

/** Each known word of `queries`, as a query of its own. */
export function wordQueries(vectors: WordVectors, queries: readonly string[] = OPEN_VOCABULARY_QUERIES): (TextQueryWords & { word: string })[] {
  return queries.flatMap((word) => {
    const vector = queryVector([word], vectors);
    return vector ? [{ word, words: [word], vector }] : [];
  });
}

/** Text → image P@10 for each class name, searching `images` only (less each image's `penalty`, where given). */
export function scoreClassQueries(
  images: readonly ScoredImage[],
  vectors: WordVectors,
  penalty?: ArrayLike<number>,
): Record<string, number> {
  const scores: Record<string, number> = {};
  for (const { category, words, vector } of classQueries(images, vectors)) {
    const ranked = rankByCosine(vector, images, penalty, words);
    scores[category] = precisionAt(ranked, (i) => images[i]!.category === category);
  }
  return scores;
}

function captionLemmas(image: ScoredImage): Set<string> {
  return new Set([...captionWordCounts(image.captions).keys()].map(lemmaKey));
}

export interface OpenVocabularyScore {
  precision: number;
  /** P@10 of a random ranking: the share of relevant images. */
  chance: number;
}

/** Text → image P@10 for words outside the classes; relevant = the word (or its plural/singular) is in the image's captions. */
export function scoreOpenVocabulary(
  images: readonly ScoredImage[],
  vectors: WordVectors,
  queries: readonly string[] = OPEN_VOCABULARY_QUERIES,
  penalty?: ArrayLike<number>,
): Record<string, OpenVocabularyScore> {
  const lemmas = images.map(captionLemmas);
  const scores: Record<string, OpenVocabularyScore> = {};
  for (const { word, words, vector } of wordQueries(vectors, queries)) {
    const key = lemmaKey(word);
    const relevant = (i: number) => lemmas[i]!.has(key);
    const relevantCount = images.filter((_, i) => relevant(i)).length;
    scores[word] = {
      precision: precisionAt(rankByCosine(vector, images, penalty, words), relevant),
      chance: relevantCount / images.length,
    };
  }
  return scores;
}

export const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1);

export interface WordSpaceScores {
  tags: TagScores;
  classQueries: Record<string, number>;
  classQueriesMean: number;
  openVocabulary: Record<string, OpenVocabularyScore>;
  openVocabularyMean: number;
  openVocabularyChance: number;
}

export function scoreWordSpace(
  images: readonly ScoredImage[],
  vocabulary: readonly VocabularyWord[],
  vectors: WordVectors,
): WordSpaceScores {
  const classQueries = scoreClassQueries(images, vectors);
  const openVocabulary = scoreOpenVocabulary(images, vectors);
  const open = Object.values(openVocabulary);
  return {
    tags: scoreTags(images, vocabulary),
    classQueries,
    classQueriesMean: mean(Object.values(classQueries)),
    openVocabulary,
    openVocabularyMean: mean(open.map((s) => s.precision)),
    openVocabularyChance: mean(open.map((s) => s.chance)),
  };
}
