// Tags that say different things. The vocabulary is folded once, when it is
// built: plural forms (dog/dogs) and WordNet synonyms that share their most
// common sense and lie near in GloVe (aeroplane/airplane/plane, grey/gray,
// tv/television) become one tag, named by the Pascal class word where there is
// one, else by the most frequent form. When tags are asked for, the nearest
// words are folded into their tags, and a word whose vector nearly equals a
// better-ranked tag's word is dropped. Thresholds: docs/models.md.
import { dot, l2Normalize } from '../lib/vectors.js';
import { lemmaKey } from './tagVocabulary.js';

/** Synonyms fold only when their GloVe vectors are at least this close (cosine). */
export const SYNONYM_MIN_COSINE = 0.35;
/** A candidate at least this close (cosine) to a tag already chosen adds nothing. */
export const NEAR_DUPLICATE_COSINE = 0.9;
/** Names the folding rule; stored with the seed so a changed rule refolds the vocabulary. */
export const TAG_FOLDING_VERSION = `wordnet-main-sense/cos-${SYNONYM_MIN_COSINE}`;

export interface VocabularyWord {
  text: string;
  vector: Float32Array;
}

/**
 * Each vocabulary word's tag. `words` in rank order (most frequent first);
 * `synonymsOf` gives a word's candidate synonyms (WordNet). One hop only: a
 * word joins a tag as that tag's own plural or synonym, never through a
 * chain of synonyms of synonyms.
 */
export function foldTagVocabulary(
  words: readonly VocabularyWord[],
  classWords: readonly string[],
  synonymsOf: (word: string) => readonly string[],
  minCosine = SYNONYM_MIN_COSINE,
): Map<string, string> {
  const vectors = new Map(words.map((word) => [word.text, l2Normalize(word.vector)]));
  // Synonymy both ways round: grey names gray as its synonym, gray (mostly a noun) does not name grey.
  const synonyms = new Map<string, Set<string>>();
  for (const { text } of words) {
    for (const other of synonymsOf(text)) {
      if (!vectors.has(other) || dot(vectors.get(text)!, vectors.get(other)!) < minCosine) continue;
      for (const [a, b] of [[text, other], [other, text]] as const) synonyms.set(a, (synonyms.get(a) ?? new Set()).add(b));
    }
  }
  const byLemma = new Map<string, string[]>();
  for (const { text } of words) byLemma.set(lemmaKey(text), [...(byLemma.get(lemmaKey(text)) ?? []), text]);
  const classFirst = [...classWords.filter((word) => vectors.has(word)), ...words.map((word) => word.text)];
  const tagOf = new Map<string, string>();
  for (const word of classFirst) {
    if (tagOf.has(word)) continue;
    for (const member of [word, ...(synonyms.get(word) ?? [])]) {
      for (const form of byLemma.get(lemmaKey(member)) ?? []) if (!tagOf.has(form)) tagOf.set(form, word);
    }
  }
  return tagOf;
}

export interface TagCandidate {
  /** The vocabulary word that was near. */
  text: string;
  /** Its tag (null: not folded, the word is its own tag). */
  tag: string | null;
  distance: number;
  vector: Float32Array;
  /** The tag's other words. */
  synonyms: string[];
}

export interface FoldedTag {
  text: string;
  distance: number;
  synonyms: string[];
}

/** The first `first` tags of candidates sorted nearest first: one per tag, no near-duplicates; a tag's distance is its nearest word's. */
export function foldTags(
  candidates: readonly TagCandidate[],
  first: number,
  nearDuplicateCosine = NEAR_DUPLICATE_COSINE,
): FoldedTag[] {
  const seen = new Set<string>();
  const chosen: Float32Array[] = [];
  const tags: FoldedTag[] = [];
  for (const candidate of candidates) {
    if (tags.length === first) break;
    const tag = candidate.tag ?? candidate.text;
    if (seen.has(lemmaKey(tag))) continue;
    const vector = l2Normalize(candidate.vector);
    if (chosen.some((other) => dot(other, vector) >= nearDuplicateCosine)) continue;
    seen.add(lemmaKey(tag));
    chosen.push(vector);
    tags.push({ text: tag, distance: candidate.distance, synonyms: candidate.synonyms });
  }
  return tags;
}

/** How many nearest words to fetch so that `first` tags remain after folding. */
export const candidatesFor = (first: number) => first * 3 + 10;
