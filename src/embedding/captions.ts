// The words that describe a Pascal image: its category's name words and the
// content words of its captions. These become the word model's training targets.
import { STOP_WORDS } from './stopWords.js';
import { tokenize } from './text.js';

// Pascal's category folders run two words together; GloVe knows the parts.
const TWO_WORD_CATEGORIES: Record<string, string[]> = {
  diningtable: ['dining', 'table'],
  pottedplant: ['potted', 'plant'],
  tvmonitor: ['tv', 'monitor'],
};

/** "diningtable" → ["dining", "table"]; "dog" → ["dog"]. */
export function categoryWords(category: string): string[] {
  return TWO_WORD_CATEGORIES[category] ?? [category];
}

/** A caption's alphabetic, non-stop words, possessives folded ("dog's" → "dog"). */
export function contentWords(caption: string): string[] {
  const words = tokenize(caption)
    .map((token) => token.replace(/['’]s$/u, ''))
    .filter((token) => /^[a-z]+$/.test(token) && !STOP_WORDS.has(token));
  return [...new Set(words)];
}

/** For each content word, in how many of the captions it occurs. */
export function captionWordCounts(captions: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const caption of captions) {
    for (const word of contentWords(caption)) counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return counts;
}
