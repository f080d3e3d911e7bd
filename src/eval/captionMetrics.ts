// Metrics that judge words against human captions, for photos of any kind
// (the COCO sample as well as held-out Pascal photos):
//   text → image P@10  per query word; relevant = the word, in some form, is
//                      in the photo's captions; chance = the share of relevant photos
//   tag precision@5    share of the first 5 tags whose word (or a folded
//                      synonym, in some form) is in the photo's captions
//   tag recall@10      share of the photo's frequent caption nouns (named in at
//                      least 3 of its captions) found among its first 10 tags
import { captionWordCounts, categoryWords, contentWords, lemmaKey } from '../embedding/index.js';
import { rankByCosine, type SearchedVector } from './wordModelMetrics.js';
import { mentions, sameWord } from './wordForms.js';

export interface CaptionedImage extends SearchedVector {
  /** Content words of its captions. */
  captionWords: ReadonlySet<string>;
}

export interface QueryWord {
  word: string;
  /** The forms that make a photo relevant (the word's caption forms). */
  forms: readonly string[];
  /** Unit GloVe vector of `word`. */
  vector: Float32Array;
}

export interface QueryScore {
  precision: number;
  /** P@k of a random ranking: the share of relevant photos. */
  chance: number;
}

/** A tag as scored: its word first, then the synonyms folded into it. */
export type TagForms = readonly string[];

export const QUERY_PRECISION_AT = 10;
export const TAG_PRECISION_AT = 5;
export const TAG_RECALL_AT = 10;
/** A caption noun is frequent when at least this many of the photo's captions name it. */
export const FREQUENT_NOUN_CAPTIONS = 3;

export const captionWordSet = (captions: readonly string[]) => new Set(captions.flatMap(contentWords));

export function textToImagePrecision(
  images: readonly CaptionedImage[],
  queries: readonly QueryWord[],
  k = QUERY_PRECISION_AT,
): Record<string, QueryScore> {
  const scores: Record<string, QueryScore> = {};
  for (const query of queries) {
    const relevant = images.map((image) => mentions(image.captionWords, query.forms));
    const hits = rankByCosine(query.vector, images, undefined, [query.word]).slice(0, k).filter((i) => relevant[i]).length;
    scores[query.word] = { precision: hits / k, chance: relevant.filter(Boolean).length / images.length };
  }
  return scores;
}

/** Mean over photos of the share of its first k tags that its captions use. */
export function tagPrecision(
  tagsPerImage: readonly (readonly TagForms[])[],
  captionWords: readonly ReadonlySet<string>[],
  k = TAG_PRECISION_AT,
): number {
  const perImage = tagsPerImage.map(
    (tags, i) => tags.slice(0, k).filter((forms) => mentions(captionWords[i]!, forms)).length / k,
  );
  return average(perImage);
}

/** Nouns (by `isNoun`) that at least `minCaptions` of the captions use, in any form; the most used form names each. */
export function frequentCaptionNouns(
  captions: readonly string[],
  isNoun: (word: string) => boolean,
  minCaptions = FREQUENT_NOUN_CAPTIONS,
): string[] {
  const perCaption = captions.map((caption) => new Set(contentWords(caption)));
  const byUse = [...captionWordCounts(captions)].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const nouns: string[] = [];
  for (const [word] of byUse) {
    if (!isNoun(word) || nouns.some((noun) => sameWord(noun, word))) continue;
    const using = perCaption.filter((words) => [...words].some((other) => sameWord(word, other))).length;
    if (using >= minCaptions) nouns.push(word);
  }
  return nouns;
}

/** Mean over photos that have frequent nouns of the share of them found among the first k tags. */
export function tagRecall(
  tagsPerImage: readonly (readonly TagForms[])[],
  nounsPerImage: readonly (readonly string[])[],
  k = TAG_RECALL_AT,
): number {
  const perImage: number[] = [];
  tagsPerImage.forEach((tags, i) => {
    const nouns = nounsPerImage[i]!;
    if (nouns.length === 0) return;
    const named = tags.slice(0, k).flat();
    perImage.push(nouns.filter((noun) => named.some((form) => sameWord(form, noun))).length / nouns.length);
  });
  return average(perImage);
}

export const average = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1);

/** Is a class word (in a plural form too) the tag's word or one of its synonyms? */
export function namesClass(tag: { text: string; synonyms: readonly string[] }, category: string): boolean {
  const wanted = new Set(categoryWords(category).map(lemmaKey));
  return [tag.text, ...tag.synonyms].some((word) => wanted.has(lemmaKey(word)));
}
