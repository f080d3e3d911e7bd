// The tag vocabulary: which words may describe an image, and how a ranked list
// of candidate words becomes tags without two forms of one word (dog/dogs).
import { STOP_WORDS } from './stopWords.js';

/** Default tag vocabulary size (most frequent eligible GloVe words); see docs/models.md. */
export const DEFAULT_TAG_VOCABULARY_SIZE = 10_000;

/** Alphabetic, at least two letters, not a stop word. */
export function isTagWord(word: string): boolean {
  return /^[a-z]{2,}$/.test(word) && !STOP_WORDS.has(word);
}

/**
 * A cheap lemma: English plural endings folded ("dogs" → "dog", "puppies" →
 * "puppy", "boxes" → "box", "watches" → "watch", "glasses" → "glass",
 * "horses" → "horse"). "-ses" is ambiguous: the singular keeps its "e"
 * (horse, house, rose) unless it ends in "ss" (glass) or is a three-letter
 * "-us" word (bus).
 */
export function lemmaKey(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 4 && /(?:ch|sh|x|zz|ss)es$/.test(word)) return word.slice(0, -2);
  if (/^[a-z]uses$/.test(word)) return word.slice(0, 3);
  if (word.length > 3 && word.endsWith('s') && !/(?:ss|us|is)$/.test(word)) return word.slice(0, -1);
  return word;
}

/** The first `first` candidates (already sorted best first) with one word per lemma. */
export function distinctLemmas<T extends { text: string }>(candidates: readonly T[], first: number): T[] {
  const seen = new Set<string>();
  const picked: T[] = [];
  for (const candidate of candidates) {
    const key = lemmaKey(candidate.text);
    if (seen.has(key)) continue;
    seen.add(key);
    picked.push(candidate);
    if (picked.length === first) break;
  }
  return picked;
}
